"""The fake Clientbook: an in-memory Starlette app following ``docs/clientbook-api.md``."""

from __future__ import annotations

from typing import Any

from fakes.clientbook.app import make_app
from fakes.clientbook.state import ClientbookState
from fakes.seed import clientbook_clients
from fakes.toolkit import FaultState, plan_from_options, serve_forever


def serve(options: dict[str, Any]) -> None:
    """``syncwright fake serve clientbook``: uvicorn on 127.0.0.1, until stopped."""
    plan = plan_from_options(options)  # before seeding: a bad --fault fails at once
    state = ClientbookState(
        api_key=options.get("api_key") or "test-clientbook-key",
        queue_delay=options.get("queue_delay"),
    )
    state.add_associate("as_12", "Maria Lopez", "12")
    state.add_associate("as_77", "Sam Carter", None)
    for body in clientbook_clients(int(options.get("seed") or 0)):
        state.create_client(body, actor="as_12")
    serve_forever(make_app(state, FaultState(plan)), int(options.get("port") or 8801))


__all__ = ["ClientbookState", "make_app", "serve"]
