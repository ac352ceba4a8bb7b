"""``POST /hooks/{system}``: verify, keep durably, acknowledge at once, hand the pair on.

For every request:

1. the system must be configured and its connector must have webhooks (else 404);
2. the connector verifies the signature (``verify_notification``): a bad or missing one is
   answered 401 and logged in one line, without the body;
3. the connector reads the events (``parse_notification``): a body that is not the
   platform's is answered 400, logged without the body;
4. each event is kept in the store for every pair the system belongs to, de-duplicated by
   its event id (a repeated delivery or a replay is acknowledged and changes nothing);
5. the answer (200) goes out at once; the dispatcher is told which pairs have new events,
   and runs them after their debounce window.

Store calls run in a worker thread (``run_in_threadpool``) under one lock, on a connection
of their own, so a run holding the database never delays an acknowledgement on the event
loop beyond SQLite's busy wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
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
from framework.state.store import StateStore

log = logging.getLogger("syncwright.serve")

# Events of these kinds are answered with a poll run of the pair: a merge's history (which
# records the new one replaces) is read from the platform's feed, not from one record.
POLL_KINDS = frozenset({"merged"})
MAX_BODY = 1_000_000


@dataclass
class Inbox:
    """The receiver's side of the store: its own connection, one writer at a time."""

    store: StateStore
    lock: threading.Lock

    def keep(
        self, system: str, pairs: list[str], events: list[WebhookEvent], received: float
    ) -> tuple[int, int, set[str], set[str]]:
        """Keep the events for each pair; (new, duplicates, pairs to run, pairs to poll)."""
        new = duplicates = 0
        touched: set[str] = set()
        polls: set[str] = set()
        with self.lock:
            for event in events:
                occurred = event.occurred_at.timestamp() if event.occurred_at else None
                fresh = False
                for pair in pairs:
                    if self.store.add_notification(
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
                        touched.add(pair)
                        if event.kind in POLL_KINDS:
                            polls.add(pair)
                if fresh:
                    new += 1
                else:
                    duplicates += 1
            last = events[-1].event_id if events else None
            self.store.count_webhook(system, "received", last=(received, "verified", last))
            self.store.count_webhook(system, "verified")
            if duplicates:
                self.store.count_webhook(system, "duplicates", duplicates)
        return new, duplicates, touched, polls

    def refused(self, system: str, received: float) -> None:
        """Count a refused notification."""
        with self.lock:
            self.store.count_webhook(system, "received", last=(received, "rejected", None))
            self.store.count_webhook(system, "rejected")


def notification_url(config: Config, system: str, request: Request) -> str:
    """The URL the platform was given for ``system`` (what Square signs)."""
    base = config.serve.public_url
    if base:
        return f"{base.rstrip('/')}/hooks/{system}"
    return str(request.url.replace(query=""))


def pairs_of(config: Config, system: str, served: list[str]) -> list[str]:
    """The served pairs ``system`` belongs to."""
    return [n for n in served if system in (config.pairs[n].pos, config.pairs[n].platform)]


def make_app(
    config: Config,
    hooks: Hooks,
    systems: dict[str, SystemContext],
    inbox: Inbox,
    poke: Callable[[str, bool], None],
    served: list[str],
) -> Starlette:
    """The webhook receiver for the ``served`` pairs.

    ``poke(pair, poll)`` tells the dispatcher a pair has new events.
    """

    async def receive(request: Request) -> Response:
        name = request.path_params["system"]
        received = time.time()
        system = systems.get(name)
        pairs = pairs_of(config, name, served)
        if system is None or not pairs or not hooks.has_webhooks(system):
            return JSONResponse({"error": f"no system {name!r} takes webhooks here"}, 404)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, 413)
        notification = Notification(
            url=notification_url(config, name, request),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            received_at=received,
        )
        where = request.client.host if request.client else "?"
        try:
            authentic = hooks.verify_notification(system, notification)
        except Exception as exc:  # a connector's bug: refused, one line, never the body
            log.error("%s: verifying a notification failed: %s", name, describe(exc))
            authentic = False
        if not authentic:
            await run_in_threadpool(inbox.refused, name, received)
            log.warning(
                "%s: notification refused (bad or missing signature): %d bytes from %s",
                name,
                len(body),
                where,
            )
            return JSONResponse({"error": "signature not valid"}, 401)
        try:
            events = hooks.parse_notification(system, notification)
        except (ValueError, PluginError) as exc:
            await run_in_threadpool(inbox.refused, name, received)
            log.warning(
                "%s: notification refused (%s): %d bytes from %s", name, exc, len(body), where
            )
            return JSONResponse({"error": "not a notification of this platform"}, 400)
        new, duplicates, touched, polls = await run_in_threadpool(
            inbox.keep, name, pairs, events, received
        )
        for pair in sorted(touched):
            poke(pair, pair in polls)
        if duplicates:
            log.info("%s: %d duplicate event(s) acknowledged, nothing to do", name, duplicates)
        return JSONResponse({"ok": True, "events": new, "duplicates": duplicates})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/hooks/{system}", receive, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
