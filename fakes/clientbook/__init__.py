"""The fake Clientbook: an in-memory Starlette app following ``docs/clientbook-api.md``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from fakes.clientbook.app import make_app
from fakes.clientbook.state import ClientbookState
from fakes.seed import clientbook_clients
from fakes.toolkit import FaultState, serve_forever
from fakes.toolkit.options import Fake, HttpFakeOptions


class ClientbookOptions(HttpFakeOptions):
    """``syncwright fake serve clientbook`` options."""

    port: int = Field(8801, gt=0, lt=65536, description="Port on 127.0.0.1")
    queue_delay: float | None = Field(
        None, ge=0, description="Seconds a create stays queued (202) before it shows"
    )


def build(options: ClientbookOptions) -> tuple[ClientbookState, Any]:
    """The fake's state and app for ``options`` (seeded, with its fault plan)."""
    plan = options.plan()
    state = ClientbookState(
        api_key=options.api_key or "test-clientbook-key", queue_delay=options.queue_delay
    )
    state.add_associate("as_12", "Maria Lopez", "12")
    state.add_associate("as_77", "Sam Carter", None)
    for body in clientbook_clients(options.seed):
        state.create_client(body, actor="as_12")
    return state, make_app(state, FaultState(plan))


def _run(options: ClientbookOptions) -> None:
    serve_forever(build(options)[1], options.port)


fake = Fake("clientbook", "Clientbook's API over HTTP", ClientbookOptions, _run)


def serve(options: dict[str, Any]) -> None:
    """``syncwright fake serve clientbook``: uvicorn on 127.0.0.1, until stopped."""
    fake.serve(options)


__all__ = ["ClientbookOptions", "ClientbookState", "build", "fake", "make_app", "serve"]
