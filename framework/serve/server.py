"""``syncwright serve``: uvicorn receiving webhooks, the dispatcher running pairs, until SIGTERM."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from framework.cli.signals import stop_on_signals
from framework.engine.engine import Engine
from framework.engine.report import RunReport
from framework.errors import SyncwrightError
from framework.serve.dispatch import Dispatcher
from framework.serve.receiver import Inbox, hook_path, make_app
from framework.serve.trigger import Trigger, trigger_run

log = logging.getLogger("syncwright.serve")

MIN_WEBHOOK_POLL_MINUTES = 60.0


@dataclass
class Served:
    """What ``serve`` tells its caller once it listens (the CLI prints it, tests use it)."""

    url: str
    webhook_systems: list[str]
    poll_seconds: dict[str, float]
    dispatcher: Dispatcher
    subscriptions: dict[str, str]
    live: list[str]


def webhook_systems(engine: Engine, pairs: list[str]) -> list[str]:
    """The systems of ``pairs`` whose connector takes webhooks."""
    names = {
        s for p in pairs for s in (engine.config.pairs[p].pos, engine.config.pairs[p].platform)
    }
    return sorted(n for n in names if engine.hooks.has_webhooks(engine.systems[n]))


def poll_intervals(engine: Engine, pairs: list[str], hooked: list[str]) -> dict[str, float]:
    """Seconds between poll runs: longer for a pair whose systems' webhooks are live.

    ``hooked``: the systems whose subscription checked out (a system whose signing secret
    is missing, or that cannot be told where to call, is polled as often as without).
    """
    serve = engine.config.serve
    seconds = {}
    for name in pairs:
        pair = engine.config.pairs[name]
        minutes = pair.interval_minutes
        if pair.pos in hooked or pair.platform in hooked:
            minutes = serve.webhook_poll_minutes or max(minutes, MIN_WEBHOOK_POLL_MINUTES)
        seconds[name] = minutes * 60
    return seconds


def check_subscriptions(
    engine: Engine, hooked: list[str], subscribe: bool
) -> tuple[dict[str, str], list[str]]:
    """What each webhook system's subscription check said, and which systems are live.

    Live: the connector found (or made) the subscription and can verify what it sends (its
    signing secret is set); only those pairs are polled less often.
    """
    base = engine.config.serve.public_url
    lines: dict[str, str] = {}
    live: list[str] = []
    for name in hooked:
        if not base:
            lines[name] = "serve.public_url is not set: the platform cannot be told where to call"
            continue
        url = f"{base.rstrip('/')}{hook_path(name)}"
        found = engine.hooks.ensure_subscription(engine.systems[name], url, create=subscribe)
        if found is None:
            lines[name] = "no subscription API: set the notification URL in the platform's panel"
            continue
        lines[name] = found.detail
        if found.ok:
            live.append(name)
    return lines, live


def serve(
    engine: Engine,
    pairs: list[str],
    *,
    host: str | None = None,
    port: int | None = None,
    subscribe: bool = False,
    on_ready: Callable[[Served], None] | None = None,
    trigger: Trigger = trigger_run,
    on_report: Callable[[str, RunReport], None] | None = None,
) -> Served:
    """Serve until ``engine.stop`` is set (SIGTERM does it): webhooks in, runs out.

    Raises:
        SyncwrightError: the state is in memory (the receiver needs its own connection),
            or the port could not be listened on.
    """
    settings = engine.config.serve
    host = host or settings.host
    port = settings.port if port is None else port
    hooked = webhook_systems(engine, pairs)
    subscriptions, live = check_subscriptions(engine, hooked, subscribe)
    intervals = poll_intervals(engine, pairs, live)
    dispatcher = Dispatcher(
        engine,
        pairs,
        intervals,
        debounce=settings.debounce_seconds,
        trigger=trigger,
        on_report=on_report,
    )
    store = engine.store.reopen()
    if store is None:
        raise SyncwrightError("serve needs a state file (state.path), not an in-memory state")
    app = make_app(
        engine.config,
        engine.hooks,
        engine.systems,
        Inbox(store, threading.Lock()),
        dispatcher.poke,
        pairs,
    )
    try:
        with listening(app, host, port) as url:
            served = Served(url, hooked, intervals, dispatcher, subscriptions, live)
            for name, line in subscriptions.items():
                log.info("%s: %s", name, line)
            if on_ready is not None:
                on_ready(served)
            with stop_on_signals(engine.stop):
                dispatcher.run_forever()
            return served
    finally:
        store.close()


@contextmanager
def listening(app: Starlette, host: str, port: int) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread while in the block; gives its base URL.

    Raises:
        SyncwrightError: the port could not be listened on.
    """
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="webhooks", daemon=True)
    try:
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise SyncwrightError(f"cannot listen on {host}:{port} (in use, or not allowed)")
            time.sleep(0.02)
        bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        if thread.is_alive():
            thread.join(timeout=10)
