"""``syncwright serve``: pairs on their schedule, and platform webhooks turned into runs.

- ``receiver``: the Starlette app (``POST /hooks/{system}``): verify, keep, acknowledge;
- ``dispatch``: the schedule of each pair (polls, and debounced webhook runs);
- ``trigger``: the one function that starts a run of a pair (swap point for workers);
- ``server``: uvicorn, the dispatcher and SIGTERM together.

See ``docs/webhooks.md``.
"""
