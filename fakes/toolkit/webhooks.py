"""A fake's outgoing webhooks: signed notifications to subscribed URLs, with faults.

A fake hands each change to :meth:`Notifier.send`; a background thread posts it, signed by
the vendor's scheme (``sign``), to every subscribed URL. Faults (``WebhookFaults``) model
what real deliveries do, each drawn per notification from a seeded random source:

- ``drop``: never sent (the receiver must catch the change by polling);
- ``duplicate``: sent twice;
- ``reorder``: held back and sent after the next one;
- ``delay``: seconds to wait before each send;
- ``bad_signature``: sent with a wrong signature (the receiver must refuse it).

``log`` keeps what was sent (event id, time, answer) for tests and benchmarks.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger("fakes.webhooks")

Sign = Callable[[str, str, bytes], dict[str, str]]  # (secret, url, body) -> headers


class WebhookFaults(BaseModel):
    """What goes wrong with deliveries (probabilities 0..1, seconds)."""

    model_config = ConfigDict(extra="forbid")

    drop: float = Field(0.0, ge=0, le=1)
    duplicate: float = Field(0.0, ge=0, le=1)
    reorder: float = Field(0.0, ge=0, le=1)
    delay: float = Field(0.0, ge=0)
    bad_signature: float = Field(0.0, ge=0, le=1)
    seed: int = 18


@dataclass
class Target:
    """A subscribed URL, the secret its notifications are signed with, the events it wants."""

    url: str
    secret: str
    events: set[str] | None = None


@dataclass
class Sent:
    """One delivery attempt."""

    event_id: str
    kind: str
    at: float
    status: int | None
    fault: str | None = None


@dataclass
class Notifier:
    """Posts a fake's notifications from a thread; see the module docstring."""

    sign: Sign
    targets: list[Target] = field(default_factory=list)
    faults: WebhookFaults = field(default_factory=WebhookFaults)
    log: list[Sent] = field(default_factory=list)
    timeout: float = 10.0
    _queue: queue.Queue[tuple[str, str, dict[str, Any]] | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None
    _random: random.Random = field(default_factory=random.Random)
    _held: tuple[Target, str, str, dict[str, Any]] | None = None
    _idle: threading.Event = field(default_factory=threading.Event)

    def configure(self, faults: WebhookFaults) -> None:
        """Replace the fault plan (and reseed)."""
        self.faults = faults
        self._random = random.Random(faults.seed)

    def subscribe(self, url: str, secret: str, events: set[str] | None = None) -> None:
        """Send notifications (of ``events``; all when ``None``) to ``url``."""
        self.targets.append(Target(url, secret, events))

    def send(self, kind: str, event_id: str, body: dict[str, Any]) -> None:
        """Queue one notification; it goes out from the sender thread."""
        if not self.targets:
            return
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="fake-webhooks", daemon=True)
            self._thread.start()
        self._idle.clear()
        self._queue.put((kind, event_id, body))

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every queued notification went out (a held one too)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.empty() and self._held is None and self._idle.is_set():
                return True
            if self._queue.empty() and self._held is not None:
                self._queue.put(None)  # nothing follows a held notification: flush it
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        """End the sender thread."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(("", "", {"__stop__": True}))
            self._thread.join(timeout=5)

    # -- the sender thread ------------------------------------------------------------------

    def _loop(self) -> None:
        with httpx.Client(timeout=self.timeout) as http:
            while True:
                try:
                    item = self._queue.get(timeout=0.5)
                except queue.Empty:
                    self._idle.set()
                    continue
                if item is None:
                    self._flush_held(http)
                    self._idle.set()
                    continue
                kind, event_id, body = item
                if body.get("__stop__"):
                    return
                for target in self.targets:
                    if target.events is None or kind in target.events:
                        self._deliver(http, target, kind, event_id, body)
                if self._queue.empty():
                    self._idle.set()

    def _deliver(
        self, http: httpx.Client, target: Target, kind: str, event_id: str, body: dict[str, Any]
    ) -> None:
        faults, draw = self.faults, self._random.random
        if draw() < faults.drop:
            self.log.append(Sent(event_id, kind, time.time(), None, "drop"))
            return
        if self._held is None and draw() < faults.reorder:
            self._held = (target, kind, event_id, body)
            return
        self._post(http, target, kind, event_id, body)
        if draw() < faults.duplicate:
            self._post(http, target, kind, event_id, body, fault="duplicate")
        self._flush_held(http)

    def _flush_held(self, http: httpx.Client) -> None:
        if self._held is not None:
            target, kind, event_id, body = self._held
            self._held = None
            self._post(http, target, kind, event_id, body, fault="reorder")

    def _post(
        self,
        http: httpx.Client,
        target: Target,
        kind: str,
        event_id: str,
        body: dict[str, Any],
        fault: str | None = None,
    ) -> None:
        if self.faults.delay:
            time.sleep(self.faults.delay)
        raw = orjson.dumps(body)
        headers = {"content-type": "application/json", **self.sign(target.secret, target.url, raw)}
        if self._random.random() < self.faults.bad_signature:
            headers = {k: "forged" + v[6:] if "signature" in k else v for k, v in headers.items()}
            fault = "bad_signature"
        status: int | None = None
        for attempt in range(3):  # a connection refused is tried again, as vendors retry
            try:
                status = http.post(target.url, content=raw, headers=headers).status_code
                break
            except httpx.TransportError as exc:
                log.debug("webhook to %s failed (%s), attempt %d", target.url, exc, attempt + 1)
                time.sleep(0.2)
        self.log.append(Sent(event_id, kind, time.time(), status, fault))
