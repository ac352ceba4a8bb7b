"""Many stores: their state in PostgreSQL, their runs on workers (``docs/fleet.md``).

``config`` reads the fleet file, ``fleet`` does the work (what is due, running a pair),
``schedule`` keeps due times and lag, ``budgets`` shares rate budgets per platform account,
``queue`` says what a task queue must do and ``workers`` does it on Procrastinate.
"""
