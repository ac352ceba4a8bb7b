"""Starting a run of one pair from the server: the one place a webhook or a poll becomes a run.

A run goes through the same functions as ``syncwright run``: the pair's lease
(``Engine.lease``, ``framework/engine/lease.py``) around ``Engine.run_pair``. A fleet's
``serve`` starts no run: it enqueues the pair (``framework/serve/fleet.py``), and the
worker's job runs it through this function too (without waiting for a held lease); nothing
else in ``framework/serve`` starts runs.
"""

from __future__ import annotations

from collections.abc import Callable

from framework.engine.engine import Engine
from framework.engine.report import RunReport
from framework.engine.targets import Targets

# How long a run started by the server waits for a pair another process runs (an operator's
# `run --once`): then its notifications stay kept and it is tried again later.
LEASE_WAIT = 5.0

Trigger = Callable[[Engine, str, Targets | None], RunReport]


def trigger_run(
    engine: Engine, pair: str, targets: Targets | None, *, wait: float | None = LEASE_WAIT
) -> RunReport:
    """Run ``pair`` now under its lease: a targeted run with ``targets``, else a poll run.

    Raises:
        LeaseHeld: another process kept the pair for longer than ``wait`` seconds.
    """
    with engine.lease(pair, wait=wait) as held:
        return engine.run_pair(pair, lease=held, targets=targets)
