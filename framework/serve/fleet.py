"""``syncwright serve --fleet``: every store's webhooks in, their runs out through the queue.

The same receiver as one store's ``serve`` (``receiver.py``: verify with the store's own
secrets, keep the events in the store's state, acknowledge at once) on
``POST /hooks/{store}/{system}``, for every store of the fleet; but no run here: each
pair with new events is enqueued (:meth:`~framework.fleet.fleet.Fleet.enqueue_run`), and a
worker's job makes the targeted run of its kept notifications, with the same function as
the single store's dispatcher (:func:`~framework.serve.dispatch.run_kind`). The job's
``queueing_lock`` makes a burst of notifications for one pair one waiting run.

A store is read when its first notification comes (thousands of stores, few posting at
once); the fleet file is read again when it changes (a store added with ``syncwright fleet
add`` is served without a restart, a removed one is answered 404).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from framework.cli.signals import stop_on_signals
from framework.config import Config
from framework.engine.engine import build_systems
from framework.errors import ConfigError
from framework.facade import Hooks
from framework.fleet.fleet import Fleet
from framework.fleet.queue import pair_key
from framework.http import CallMeter
from framework.serve.receiver import Inbox, Receiver, health
from framework.serve.server import listening
from framework.state.factory import open_store

log = logging.getLogger("syncwright.serve")

TICK = 0.25  # how soon a stop request is noticed


class FleetReceivers:
    """Each store's :class:`Receiver`, made when first needed, handing pairs to the queue."""

    def __init__(self, fleet: Fleet):
        self.fleet = fleet
        self._made: dict[str, tuple[tuple[Config, Hooks], Receiver]] = {}
        self._lock = threading.Lock()
        self._enqueue = threading.Lock()

    def receiver(self, store: str) -> Receiver | Response:
        """The store's receiver, or the answer to give (no such store, or not valid)."""
        with self._lock:
            try:
                loaded = self.fleet.config.store(store)
            except ConfigError as exc:
                self._drop(store)
                if store not in self.fleet.config.stores:
                    return JSONResponse({"error": f"no store {store!r} here"}, 404)
                log.error("%s: notifications not taken: %s", store, exc)
                return JSONResponse({"error": f"store {store!r} is not configured right"}, 503)
            found = self._made.get(store)
            if found is not None and found[0] is loaded:
                return found[1]
            self._drop(store)  # its configuration changed: read again
            config, hooks = loaded
            receiver = Receiver(
                config,
                hooks,
                build_systems(config, CallMeter()),
                Inbox(None, threading.Lock(), opener=functools.partial(open_store, config)),
                functools.partial(self.poke, store),
                list(config.pairs),
                self.fleet.config.serve.public_url,
                store,
            )
            self._made[store] = (loaded, receiver)
            return receiver

    def poke(self, store: str, pair: str, poll: bool, records: list[str]) -> None:
        """A pair has new events: enqueue its run (``poll`` is read from them by the job)."""
        with self._enqueue:
            queued = self.fleet.enqueue_run(pair_key(store, pair), records)
        log.info(
            "%s/%s: %d record(s) notified; %s",
            store,
            pair,
            len(records),
            "run enqueued" if queued else "a run of it waits already",
        )

    def _drop(self, store: str) -> None:
        found = self._made.pop(store, None)
        if found is not None:
            for system in found[1].systems.values():
                if system.http is not None:
                    system.http.close()

    def close(self) -> None:
        """Close every store's HTTP clients."""
        with self._lock:
            for store in list(self._made):
                self._drop(store)


def make_fleet_app(receivers: FleetReceivers) -> Starlette:
    """The webhook receiver of every store of a fleet: ``POST /hooks/{store}/{system}``."""

    async def receive(request: Request) -> Response:
        found = await run_in_threadpool(receivers.receiver, request.path_params["store"])
        if isinstance(found, Response):
            return found
        return await found.receive(request.path_params["system"], request)

    return Starlette(
        routes=[
            Route("/hooks/{store}/{system}", receive, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


def serve_fleet(
    fleet: Fleet,
    stop: threading.Event,
    *,
    host: str | None = None,
    port: int | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Receive every store's webhooks and enqueue their runs until ``stop`` (SIGTERM) is set.

    Raises:
        SyncwrightError: the port could not be listened on.
    """
    settings = fleet.config.serve
    receivers = FleetReceivers(fleet)
    try:
        with listening(
            make_fleet_app(receivers),
            host or settings.host,
            settings.port if port is None else port,
        ) as url:
            if on_ready is not None:
                on_ready(url)
            with stop_on_signals(stop):
                while not stop.wait(TICK):
                    pass
    finally:
        receivers.close()
