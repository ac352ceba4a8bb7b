"""The fake Square: an in-memory Starlette app on Square's v2 paths (``docs/square-api.md``)."""

from __future__ import annotations

from typing import Any

from fakes.seed import clientbook_clients
from fakes.square.app import make_app
from fakes.square.state import SquareError, SquareState
from fakes.toolkit import FaultState, plan_from_options, serve_forever


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


def serve(options: dict[str, Any]) -> None:
    """``syncwright fake serve square``: uvicorn on 127.0.0.1, until stopped."""
    plan = plan_from_options(options)  # before seeding: a bad --fault fails at once
    state = SquareState(token=options.get("api_key") or "test-square-token")
    seed_square(state, int(options.get("seed") or 0))
    serve_forever(make_app(state, FaultState(plan)), int(options.get("port") or 8803))


__all__ = ["SquareError", "SquareState", "make_app", "seed_square", "serve"]
