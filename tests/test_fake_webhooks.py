"""The fakes' outgoing webhooks: signed as each vendor signs, with the faults they are asked for."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakes.podium import PodiumOptions
from fakes.podium import build as build_podium
from fakes.square import SquareOptions
from fakes.square import build as build_square
from fakes.toolkit import BackgroundServer
from fakes.toolkit.webhooks import Notifier, WebhookFaults


class Inbox:
    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []

        async def hook(request: Request) -> Response:
            self.got.append((dict(request.headers), await request.body()))
            return Response(status_code=200)

        self.server = BackgroundServer(Starlette(routes=[Route("/h", hook, methods=["POST"])]))
        self.server.start()
        self.url = f"{self.server.url}/h"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    yield box
    box.server.stop()


def _notifier(inbox: Inbox, **faults: Any) -> Notifier:
    notifier = Notifier(lambda secret, url, body: {"x-signature": f"{secret}:{len(body)}"})
    notifier.configure(WebhookFaults(**faults))
    notifier.subscribe(inbox.url, "k")
    return notifier


def _send(notifier: Notifier, n: int) -> None:
    for i in range(n):
        notifier.send("thing.updated", f"e{i}", {"n": i})
    assert notifier.drain()
    notifier.stop()


def test_without_faults_each_notification_arrives_once_in_order(inbox: Inbox):
    _send(_notifier(inbox), 5)
    assert [body for _, body in inbox.got] == [b'{"n":%d}' % i for i in range(5)]
    assert all(h["x-signature"] == "k:7" for h, _ in inbox.got)


def test_dropped_duplicated_reordered_and_forged_as_asked(inbox: Inbox):
    notifier = _notifier(inbox, drop=0.3, duplicate=0.2, reorder=0.2, bad_signature=0.1)
    _send(notifier, 60)
    faults = [s.fault for s in notifier.log]
    assert {"drop", "duplicate", "reorder", "bad_signature"} <= set(faults)
    sent = [int(body[5:-1]) for _, body in inbox.got]
    assert len(sent) == 60 - faults.count("drop") + faults.count("duplicate")
    assert sent != sorted(sent), "some arrived out of order"
    forged = [h for h, _ in inbox.got if h["x-signature"].startswith("forged")]
    assert len(forged) == faults.count("bad_signature")


def test_square_signs_the_url_and_the_body_with_the_subscription_key(inbox: Inbox):
    state, app = build_square(SquareOptions(webhook_url=inbox.url, webhook_secret="sq-key"))
    state.create_customer({"given_name": "Ana"})
    notifier = app.state.notifier
    assert notifier.drain()
    notifier.stop()
    [(headers, body)] = inbox.got
    expected = hmac.new(b"sq-key", inbox.url.encode() + body, hashlib.sha256).digest()
    assert headers["x-square-hmacsha256-signature"] == base64.b64encode(expected).decode()
    assert b'"type":"customer.created"' in body


def test_podium_signs_timestamp_dot_body_when_it_has_a_secret(inbox: Inbox):
    state, app = build_podium(PodiumOptions(webhook_url=inbox.url, webhook_secret="pd-secret"))
    state.add_contact("Ana Lima", email="ana@example.com")
    notifier = app.state.webhooks.notifier
    assert notifier.drain()
    notifier.stop()
    [(headers, body)] = inbox.got
    stamp = headers["podium-timestamp"]
    expected = hmac.new(b"pd-secret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["podium-signature"] == expected
    assert b'"eventType":"contact.created"' in body
