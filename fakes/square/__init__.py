"""The fake Square: an in-memory Starlette app on Square's v2 paths (``docs/square-api.md``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from fakes.seed import clientbook_clients
from fakes.square.app import make_app
from fakes.square.state import SquareError, SquareState
from fakes.toolkit import FaultState, serve_forever
from fakes.toolkit.options import Fake, WebhookFakeOptions


def seed_square(state: SquareState, n: int) -> list[dict[str, Any]]:
    """Add ``n`` customers, a third of them made from appointments (SQ-1), and a VIP group."""
    vip = state.create_group("VIP")
    made = []
    for i, body in enumerate(clientbook_clients(n, seed=23)):
        source = "APPOINTMENTS" if i % 3 == 0 else "DIRECTORY"
        customer = state.create_customer(
            {
                "given_name": body["first_name"],
                "family_name": body["last_name"],
                "email_address": body.get("email"),
                "phone_number": body.get("mobile"),
            },
            source=source,
        )
        if i % 4 == 0:
            state.set_groups(customer["id"], add=vip["id"])
        made.append(customer)
    return made


class SquareOptions(WebhookFakeOptions):
    """``syncwright fake serve square`` options."""

    port: int = Field(8803, gt=0, lt=65536, description="Port on 127.0.0.1")
    search_lag: float = Field(
        0.0, ge=0, description="Seconds before a new customer shows in searches"
    )


def build(options: SquareOptions) -> tuple[SquareState, Any]:
    """The fake's state and app for ``options`` (seeded, with its fault plan)."""
    plan = options.plan()
    state = SquareState(token=options.api_key or "test-square-token", search_lag=options.search_lag)
    seed_square(state, options.seed)
    app = make_app(state, FaultState(plan))
    options.notify(app.state.notifier)
    return state, app


def _run(options: SquareOptions) -> None:
    serve_forever(build(options)[1], options.port)


fake = Fake("square", "Square's Customers and Bookings API over HTTP", SquareOptions, _run)


def serve(options: dict[str, Any]) -> None:
    """``syncwright fake serve square``: uvicorn on 127.0.0.1, until stopped."""
    fake.serve(options)


__all__ = [
    "SquareError",
    "SquareOptions",
    "SquareState",
    "build",
    "fake",
    "make_app",
    "seed_square",
    "serve",
]
