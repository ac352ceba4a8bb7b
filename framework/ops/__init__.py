"""What operators do, as plain functions: the CLI, the console and the workers call them.

No copy per surface: each takes an engine or a store and returns data; printing is the
caller's. ``problems`` (group, retry, resolve), ``runs`` (pair status, run reports),
``records`` (find, a record's both sides, merges with a preview), ``refs`` (which record an
operator means), ``plan`` (what a run would do), ``held`` (approve or reject what the guard
held), ``history`` (why did this record change?), ``links`` (link and unlink by hand).
"""
