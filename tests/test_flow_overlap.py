"""A flow waits only for the writes of the entities it refers to (issue 17).

Children are reconciled once their parents' writes have settled (their links name the
real ids), so a wish or a note never goes out before its client exists; but the notes
flow, which refers to clients and not to wishes, need not wait for the wishes' writes:
its reads and writes overlap their tail. Checked over HTTP against a Clientbook fake whose
wish items answer slowly, from the times the fake saw each request.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import pytest

from fakes.clientbook import ClientbookState, make_app
from fakes.toolkit import FaultPlan, FaultRule, FaultState
from tests.harness import API_KEY, served_upload

CUSTOMERS = 16
WISHES = 4  # 64 wish items of 0.1 s each, 8 in flight: about 0.8 s of them
Asgi = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


def timed(app: Asgi, seen: list[tuple[str, str, float, float]]) -> Asgi:
    """``app``, noting each request's method, path, start and end."""

    async def wrapper(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start = time.monotonic()
        await app(scope, receive, send)
        seen.append((scope["method"], scope["path"], start, time.monotonic()))

    return wrapper


@pytest.mark.rule("G-6")
def test_notes_go_out_while_wishes_settle_but_never_before_their_clients(tmp_path: Path) -> None:
    state = ClientbookState(api_key=API_KEY)
    state.add_associate("as_12", "Maria Lopez", "12")
    slow = FaultRule(
        kind="slow", delay=0.1, rate=1.0, path="/v1/collection-items", methods=["POST"]
    )
    seen: list[tuple[str, str, float, float]] = []
    app = timed(make_app(state, FaultState(FaultPlan(rules=[slow]))), seen)
    report = served_upload(tmp_path, app, CUSTOMERS, WISHES, notes=True)
    assert report.errors == []
    assert report.counts["wish.create.platform"] == CUSTOMERS * WISHES
    assert report.counts["note.create.platform"] == CUSTOMERS
    writes = [s for s in seen if s[0] != "GET"]
    clients = [s for s in writes if s[1].startswith("/v1/clients")]
    wishes = [s for s in writes if s[1] == "/v1/collection-items"]
    notes = [s for s in writes if s[1] == "/v1/activity"]
    assert clients
    assert len(wishes) == CUSTOMERS * WISHES
    assert len(notes) == CUSTOMERS
    clients_done = max(end for *_, end in clients)
    assert min(start for _, _, start, _ in wishes + notes) >= clients_done, (
        "a wish or a note went out before every client was created"
    )
    assert min(start for _, _, start, _ in notes) < max(end for *_, end in wishes), (
        "the notes waited for the wishes' writes, which they do not refer to"
    )
    # Every note names its client's real id, not a placeholder.
    assert {n["client_id"] for n in state.activity.records.values()} <= set(state.clients.records)
