"""Edge and Square over real HTTP, with ``syncwright serve`` receiving Square's webhooks.

The fake Square runs under uvicorn on 127.0.0.1 and posts signed notifications to the
server's ``/hooks/square`` (a subscription made through its Webhook Subscriptions API);
the engine talks to the fake over HTTP; the server runs in a thread (``serve``), stopped by
setting the engine's stop event, as SIGTERM does. Used by tests and the latency benchmark.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from fakes.edge import EdgeFake
from fakes.square import SquareState, make_app, seed_square
from fakes.toolkit import BackgroundServer, free_port
from fakes.toolkit.webhooks import Notifier, WebhookFaults
from framework.config import parse_config
from framework.engine.engine import Engine
from framework.serve.server import Served, serve
from tests.square_world import PAIR, TOKEN, edge_square_config


class ServeThread:
    """``serve`` of one engine in a thread; ``stop()`` sets the stop event, as SIGTERM does."""

    def __init__(self, engine: Engine, port: int, pairs: list[str] | None = None):
        self.engine = engine
        self.port = port
        self.pairs = pairs or [PAIR]
        self.served: Served | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Served:
        """Start ``serve``; returns once it listens."""
        ready = threading.Event()

        def on_ready(served: Served) -> None:
            self.served = served
            ready.set()

        def target() -> None:
            try:
                serve(self.engine, self.pairs, port=self.port, on_ready=on_ready)
            except BaseException as exc:
                self.error = exc
                ready.set()

        self._thread = threading.Thread(target=target, name="serve", daemon=True)
        self._thread.start()
        assert ready.wait(20), "serve did not start"
        assert self.error is None, self.error
        assert self.served is not None
        return self.served

    def stop(self) -> None:
        """Stop ``serve`` as SIGTERM does, and wait for it."""
        self.engine.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            assert not self._thread.is_alive(), "serve did not stop"


def wait_for_texts(read: Callable[[], str], texts: list[str], timeout: float) -> dict[str, float]:
    """Seconds until each text appeared in what ``read`` returns (missing ones absent)."""
    started = time.monotonic()
    seen: dict[str, float] = {}
    while time.monotonic() - started < timeout and len(seen) < len(texts):
        found = read()
        for text in texts:
            if text not in seen and text in found:
                seen[text] = time.monotonic() - started
        time.sleep(0.05)
    return seen


def edge_imports(edge: EdgeFake) -> str:
    """Every customer import file written for Edge so far (waiting or processed), as text."""
    texts = []
    for folder in (edge.outbox, edge.processed):
        for path in sorted(folder.glob("*")):
            if path.is_file() and "customer" in path.name.lower():
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


class WebhookWorld:
    """Edge, Square (HTTP, webhooks) and a running ``serve``; see the module docstring."""

    def __init__(
        self,
        tmp: Path,
        *,
        seed: int = 6,
        debounce: float = 0.2,
        poll_minutes: float = 60.0,
        search_lag: float = 0.0,
    ):
        self.tmp = tmp
        self.edge = EdgeFake(tmp / "edt")
        self.sq = SquareState(token=TOKEN, search_lag=search_lag)
        seed_square(self.sq, seed)
        self.app = make_app(self.sq)
        self.notifier: Notifier = self.app.state.notifier
        self.fake = BackgroundServer(self.app).start()
        self.http = httpx.Client(
            base_url=self.fake.url, headers={"authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        self.port = free_port()
        self.public_url = f"http://127.0.0.1:{self.port}"
        self.hook_url = f"{self.public_url}/hooks/square"
        made = self.http.post(
            "/v2/webhooks/subscriptions",
            json={
                "idempotency_key": "test",
                "subscription": {
                    "name": "syncwright",
                    "event_types": ["customer.created", "customer.updated", "customer.deleted"],
                    "notification_url": self.hook_url,
                },
            },
        )
        made.raise_for_status()
        self.signature_key: str = made.json()["subscription"]["signature_key"]
        data = edge_square_config(tmp)
        data["systems"]["square"].update(
            base_url=self.fake.url, webhook_signature_key=self.signature_key
        )
        data["serve"] = {
            "public_url": self.public_url,
            "debounce_seconds": debounce,
            "webhook_poll_minutes": poll_minutes,
        }
        self.config_data = data
        self.config, hooks = parse_config(data, source="test.toml", base_dir=tmp)
        self.engine = Engine(self.config, hooks)
        self.server = ServeThread(self.engine, self.port)

    # -- before serving: the initial sync ---------------------------------------------------

    def settle(self, runs: int = 3) -> None:
        """EDT cycles and runs until Edge has imported and exported everything."""
        for _ in range(runs):
            self.edge.run_cycle()
            self.engine.run_pair(PAIR)

    # -- serving ----------------------------------------------------------------------------

    @property
    def served(self) -> Served | None:
        """What ``serve`` said once it listened."""
        return self.server.served

    def start(self) -> Served:
        """Start ``serve`` in a thread; returns once it listens."""
        return self.server.start()

    def stop(self) -> None:
        """Stop ``serve`` as SIGTERM does."""
        self.server.stop()

    def faults(self, **kwargs: Any) -> None:
        """Faults of the fake's deliveries (``WebhookFaults``)."""
        self.notifier.configure(WebhookFaults(**kwargs))

    # -- changes in Square, over its API ----------------------------------------------------

    def create(self, email: str, **fields: Any) -> str:
        """A new Square customer."""
        body = {"given_name": "Web", "family_name": "Hook", "email_address": email, **fields}
        answer = self.http.post("/v2/customers", json=body)
        answer.raise_for_status()
        return str(answer.json()["customer"]["id"])

    def update(self, customer_id: str, **fields: Any) -> None:
        """A sparse update of a Square customer."""
        self.http.put(f"/v2/customers/{customer_id}", json=fields).raise_for_status()

    # -- looking at Edge ----------------------------------------------------------------------

    def edge_imports(self) -> str:
        """Every customer import file written for Edge so far, as text."""
        return edge_imports(self.edge)

    def wait_for_edge(self, texts: list[str], timeout: float) -> dict[str, float]:
        """Seconds until each text appeared in Edge's imports (missing ones absent)."""
        return wait_for_texts(self.edge_imports, texts, timeout)

    def close(self) -> None:
        """Stop everything."""
        if not self.engine.stop.is_set():
            self.stop()
        self.notifier.stop()
        self.http.close()
        self.fake.stop()
        self.engine.close()
