"""The fake Podium: an in-memory Starlette app on Podium's v4 paths (``docs/podium-api.md``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from fakes.podium.app import RATE_LIMIT, make_app, podium_faults
from fakes.podium.errors import PodiumError
from fakes.podium.state import PodiumState, Tier
from fakes.seed import clientbook_clients
from fakes.toolkit import FaultPlan, FaultState, serve_forever
from fakes.toolkit.options import Fake, WebhookFakeOptions


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


class PodiumOptions(WebhookFakeOptions):
    """``syncwright fake serve podium`` options (``api_key`` replaces the refresh token)."""

    port: int = Field(8804, gt=0, lt=65536, description="Port on 127.0.0.1")
    tier: Tier = Field("clientele_plus", description="The account's tier (PD-1)")
    generate_titles: bool = Field(True, description="Podium titles the products it is sent")
    visibility_delay: float = Field(
        2.0, ge=0, description="Seconds before an accepted (202) write shows"
    )
    token_ttl: float = Field(36000.0, gt=0, description="Seconds an access token lasts")


def build(options: PodiumOptions) -> tuple[PodiumState, Any]:
    """The fake's state and app for ``options`` (seeded; Podium's rate limit unless set)."""
    state = PodiumState(
        tier=options.tier,
        generate_titles=options.generate_titles,
        visibility_delay=options.visibility_delay,
        token_ttl=options.token_ttl,
    )
    if options.api_key:
        state.oauth.refresh_token = options.api_key
    seed_podium(state, options.seed)
    plan = FaultPlan(
        rules=options.faults, rate_limit=options.rate_limit or RATE_LIMIT, seed=options.fault_seed
    )
    app = make_app(state, FaultState(plan))
    options.notify(app.state.webhooks.notifier)
    return state, app


def _run(options: PodiumOptions) -> None:
    serve_forever(build(options)[1], options.port)


fake = Fake("podium", "Podium's API v4 over HTTP (OAuth 2)", PodiumOptions, _run)


def serve(options: dict[str, Any]) -> None:
    """``syncwright fake serve podium``: uvicorn on 127.0.0.1, until stopped.

    The app's client id and secret and the store's refresh token are the fake's defaults
    (``test-podium-client``, ``test-podium-secret``, ``test-podium-refresh``); ``api_key``
    replaces the refresh token.
    """
    fake.serve(options)


__all__ = [
    "PodiumError",
    "PodiumOptions",
    "PodiumState",
    "build",
    "fake",
    "make_app",
    "podium_faults",
    "seed_podium",
    "serve",
]
