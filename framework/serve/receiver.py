"""``POST /hooks/{system}`` (a fleet: ``/hooks/{store}/{system}``): verify, keep, acknowledge.

For every request:

1. the system must be configured and its connector must have webhooks (else 404);
2. the connector verifies the signature (``verify_notification``): a bad or missing one is
   answered 401 and logged in one line, without the body;
3. the connector reads the events (``parse_notification``): a body that is not the
   platform's is answered 400, logged without the body;
4. each event is kept in the store for every pair the system belongs to, de-duplicated by
   its event id (a repeated delivery or a replay is acknowledged and changes nothing);
5. the answer (200) goes out at once; the pairs with new events are handed on: to the
   dispatcher (one store: it runs them after their debounce window), or to the fleet's
   queue (``framework/serve/fleet.py``: a worker runs them).

Store calls run in a worker thread (``run_in_threadpool``) under one lock, on a connection
of their own, so a run holding the database never delays an acknowledgement on the event
loop beyond SQLite's busy wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from framework.config import Config
from framework.errors import PluginError, describe
from framework.facade import Hooks
from framework.models import Notification, SystemContext, WebhookEvent
from framework.serve.dispatch import POLL_KINDS
from framework.state.store import StateStore

log = logging.getLogger("syncwright.serve")

MAX_BODY = 1_000_000

Poke = Callable[[str, bool, list[str]], None]
"""``poke(pair, poll, records)``: a pair has new events (``poll``: answer with a poll run)."""


@dataclass
class Inbox:
    """The receiver's side of the store: its own connection, one writer at a time.

    ``opener`` (a fleet's store): no connection is kept, one is taken per notification.
    """

    store: StateStore | None
    lock: threading.Lock
    opener: Callable[[], StateStore] | None = None

    @contextmanager
    def _store(self) -> Iterator[StateStore]:
        if self.store is not None:
            yield self.store
            return
        assert self.opener is not None
        store = self.opener()
        try:
            yield store
        finally:
            store.close()

    def keep(
        self, system: str, pairs: list[str], events: list[WebhookEvent], received: float
    ) -> tuple[int, int, dict[str, list[str]], set[str]]:
        """Keep the events for each pair; (new, duplicates, records by pair to run, to poll)."""
        new = duplicates = 0
        touched: dict[str, list[str]] = {}
        polls: set[str] = set()
        with self.lock, self._store() as store:
            for event in events:
                occurred = event.occurred_at.timestamp() if event.occurred_at else None
                fresh = False
                for pair in pairs:
                    if store.add_notification(
                        pair,
                        system,
                        event.event_id,
                        event.entity,
                        event.kind,
                        event.record_ids,
                        occurred,
                        received,
                    ):
                        fresh = True
                        touched.setdefault(pair, []).extend(event.record_ids)
                        if event.kind in POLL_KINDS:
                            polls.add(pair)
                if fresh:
                    new += 1
                else:
                    duplicates += 1
            last = events[-1].event_id if events else None
            store.count_webhook(system, "received", last=(received, "verified", last))
            store.count_webhook(system, "verified")
            if duplicates:
                store.count_webhook(system, "duplicates", duplicates)
        return new, duplicates, touched, polls

    def refused(self, system: str, received: float) -> None:
        """Count a refused notification."""
        with self.lock, self._store() as store:
            store.count_webhook(system, "received", last=(received, "rejected", None))
            store.count_webhook(system, "rejected")


def hook_path(system: str, store: str | None = None) -> str:
    """The path a platform posts ``system``'s notifications to (of ``store`` in a fleet)."""
    return f"/hooks/{store}/{system}" if store else f"/hooks/{system}"


def notification_url(public_url: str | None, path: str, request: Request) -> str:
    """The URL the platform was given (what Square signs): ``public_url`` + ``path``."""
    if public_url:
        return f"{public_url.rstrip('/')}{path}"
    return str(request.url.replace(query=""))


def pairs_of(config: Config, system: str, served: list[str]) -> list[str]:
    """The served pairs ``system`` belongs to."""
    return [n for n in served if system in (config.pairs[n].pos, config.pairs[n].platform)]


@dataclass
class Receiver:
    """One store's webhooks: its systems (to verify and read), inbox, and served pairs."""

    config: Config
    hooks: Hooks
    systems: dict[str, SystemContext]
    inbox: Inbox
    poke: Poke
    served: list[str]
    public_url: str | None
    store: str | None = None  # its name in a fleet (its notification URLs name it)

    async def receive(self, name: str, request: Request) -> Response:
        """Verify, keep and acknowledge one notification for system ``name``."""
        received = time.time()
        system = self.systems.get(name)
        pairs = pairs_of(self.config, name, self.served)
        if system is None or not pairs or not self.hooks.has_webhooks(system):
            return JSONResponse({"error": f"no system {name!r} takes webhooks here"}, 404)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, 413)
        notification = Notification(
            url=notification_url(self.public_url, hook_path(name, self.store), request),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            received_at=received,
        )
        where = request.client.host if request.client else "?"
        shown = f"{self.store}/{name}" if self.store else name
        try:
            authentic = self.hooks.verify_notification(system, notification)
        except Exception as exc:  # a connector's bug: refused, one line, never the body
            log.error("%s: verifying a notification failed: %s", shown, describe(exc))
            authentic = False
        if not authentic:
            await run_in_threadpool(self.inbox.refused, name, received)
            log.warning(
                "%s: notification refused (bad or missing signature): %d bytes from %s",
                shown,
                len(body),
                where,
            )
            return JSONResponse({"error": "signature not valid"}, 401)
        try:
            events = self.hooks.parse_notification(system, notification)
        except (ValueError, PluginError) as exc:
            await run_in_threadpool(self.inbox.refused, name, received)
            log.warning(
                "%s: notification refused (%s): %d bytes from %s", shown, exc, len(body), where
            )
            return JSONResponse({"error": "not a notification of this platform"}, 400)
        new, duplicates, touched, polls = await run_in_threadpool(
            self.inbox.keep, name, pairs, events, received
        )
        for pair in sorted(touched):
            try:
                await run_in_threadpool(self.poke, pair, pair in polls, touched[pair])
            except Exception as exc:  # kept: the pair's next run consumes them
                log.error("%s: pair %s not handed on (%s); kept for its next run", shown, pair, exc)
        if duplicates:
            log.info("%s: %d duplicate event(s) acknowledged, nothing to do", shown, duplicates)
        return JSONResponse({"ok": True, "events": new, "duplicates": duplicates})


async def health(request: Request) -> Response:
    """``GET /health``: the server answers."""
    return JSONResponse({"ok": True})


def make_app(
    config: Config,
    hooks: Hooks,
    systems: dict[str, SystemContext],
    inbox: Inbox,
    poke: Poke,
    served: list[str],
) -> Starlette:
    """The webhook receiver of one store, for its ``served`` pairs."""
    receiver = Receiver(config, hooks, systems, inbox, poke, served, config.serve.public_url)

    async def receive(request: Request) -> Response:
        return await receiver.receive(request.path_params["system"], request)

    return Starlette(
        routes=[
            Route("/hooks/{system}", receive, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
