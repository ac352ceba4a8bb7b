"""The fake IdoSell shop: an in-memory Starlette app following the Admin API v6 spec.

Written from ``fakes/specs/idosell.json`` and ``docs/idosell-api.md``;
tests check its responses against the spec.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from fakes.idosell.app import make_app
from fakes.idosell.contract import PREFIX
from fakes.idosell.state import Fault, IdoSellState
from fakes.polish import ascii_fold, kontrahenci
from fakes.toolkit import FaultState, serve_forever
from fakes.toolkit.options import Fake, WebhookFakeOptions


def seed_clients(state: IdoSellState, n: int, seed: int = 77) -> list[int]:
    """``n`` accounts customers registered in the shop themselves (no external code)."""
    ids = []
    for k in kontrahenci(n, seed, code_prefix="S"):
        login = ascii_fold(f"{k.first}.{k.last}.{k.code}").lower().replace(" ", "")
        client = state.create(
            {
                "login": login,
                "email": k.email,
                "firstname": k.first,
                "lastname": k.last,
                "company": k.company,
                "street": k.street,
                "zipcode": k.postcode,
                "city": k.city,
                "country_code": "pl",
                "shops": [1],
            }
        )
        ids.append(int(client["clientId"]))
    return ids


class IdoSellOptions(WebhookFakeOptions):
    """``syncwright fake serve idosell`` options."""

    port: int = Field(8802, gt=0, lt=65536, description="Port on 127.0.0.1")


def build(options: IdoSellOptions) -> tuple[IdoSellState, Any]:
    """The fake's state and app for ``options`` (seeded, with its fault plan)."""
    plan = options.plan()
    state = IdoSellState(api_key=options.api_key or "test-idosell-key")
    seed_clients(state, options.seed)
    app = make_app(state, FaultState(plan))
    options.notify(app.state.notifier)
    return state, app


def _run(options: IdoSellOptions) -> None:
    app = build(options)[1]
    print(f"base_url = http://127.0.0.1:{options.port}{PREFIX}", flush=True)
    serve_forever(app, options.port, date_header=False)  # its own clock


fake = Fake("idosell", "IdoSell's Admin API v6 over HTTP", IdoSellOptions, _run)


def serve(options: dict[str, Any]) -> None:
    """``syncwright fake serve idosell``: uvicorn on 127.0.0.1, until stopped."""
    fake.serve(options)


__all__ = [
    "PREFIX",
    "Fault",
    "IdoSellOptions",
    "IdoSellState",
    "build",
    "fake",
    "make_app",
    "seed_clients",
    "serve",
]
