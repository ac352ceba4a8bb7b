"""The fake Podium: an in-memory Starlette app on Podium's v4 paths (``docs/podium-api.md``)."""

from __future__ import annotations

from typing import Any

from fakes.podium.app import RATE_LIMIT, make_app, podium_faults
from fakes.podium.errors import PodiumError
from fakes.podium.state import PodiumState
from fakes.seed import clientbook_clients
from fakes.toolkit import FaultPlan, FaultState, serve_forever


def seed_podium(state: PodiumState, n: int) -> list[dict[str, Any]]:
    """Add ``n`` contacts as a store's staff would have made them in Podium."""
    made = []
    for body in clientbook_clients(n, seed=29):
        email, phone = body.get("email"), body.get("mobile")
        made.append(
            state.add_contact(
                f"{body['first_name']} {body['last_name']}",
                email=str(email) if email else None,
                phone=str(phone) if phone else None,
            )
        )
    return made


def serve(options: dict[str, Any]) -> None:
    """``syncwright fake serve podium``: uvicorn on 127.0.0.1, until stopped.

    The app's client id and secret and the store's refresh token are the fake's defaults
    (``test-podium-client``, ``test-podium-secret``, ``test-podium-refresh``); ``api_key``
    replaces the refresh token.
    """
    state = PodiumState()
    if options.get("api_key"):
        state.oauth.refresh_token = str(options["api_key"])
    seed_podium(state, int(options.get("seed") or 0))
    plan = FaultPlan(
        rules=options.get("faults") or [], rate_limit=options.get("rate_limit") or RATE_LIMIT
    )
    serve_forever(make_app(state, FaultState(plan)), int(options.get("port") or 8804))


__all__ = ["PodiumError", "PodiumState", "make_app", "podium_faults", "seed_podium", "serve"]
