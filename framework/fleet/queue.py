"""What the fleet needs from a task queue, as an interface: Procrastinate is one implementation.

The engine never imports the queue; :class:`~framework.fleet.fleet.Fleet` does its work
(which pair is due, running one) and a queue only carries it to workers: jobs keyed by
pair (never two of one pair at once, at most one waiting), a periodic tick, and jobs of a
worker that died retried once its heartbeat lapsed.
"""

from __future__ import annotations

from typing import Protocol


class RunQueue(Protocol):
    """Carries pair runs to workers."""

    def enqueue(
        self,
        store: str,
        pair: str,
        due_at: float,
        records: list[str] | None = None,
        *,
        after: float = 0.0,
    ) -> bool:
        """Queue a run of ``store``'s ``pair``; ``False`` when one already waits (kept).

        ``records`` given (a webhook's, maybe empty): a targeted run of the pair's kept
        notifications; ``None``: a due (poll) run. ``after``: not started sooner than this
        many seconds from now (a webhook's debounce: what comes meanwhile joins the run).
        """
        ...

    def work(self, name: str) -> None:
        """Run a worker (named ``name``) until it is stopped (SIGTERM, Ctrl-C)."""
        ...

    def close(self) -> None:
        """Close the queue's connections."""
        ...


def pair_key(store: str, pair: str) -> str:
    """The key of a store's pair: its lock and queueing lock, and how people name it."""
    return f"{store}/{pair}"


def split_key(key: str) -> tuple[str, str]:
    """``store/pair`` as (store, pair)."""
    store, _, pair = key.partition("/")
    return store, pair
