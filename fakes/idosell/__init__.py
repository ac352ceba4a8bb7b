"""The fake IdoSell shop: an in-memory Starlette app following the Admin API v6 spec.

Written from ``fakes/specs/idosell.json`` and ``docs/idosell-api.md``;
tests check its responses against the spec.
"""

from __future__ import annotations

from typing import Any

from fakes.idosell.app import make_app
from fakes.idosell.contract import PREFIX
from fakes.idosell.state import Fault, IdoSellState
from fakes.polish import ascii_fold, kontrahenci
from fakes.toolkit import FaultState, plan_from_options, serve_forever


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


def serve(options: dict[str, Any]) -> None:
    """``syncwright fake serve idosell``: uvicorn on 127.0.0.1, until stopped."""
    plan = plan_from_options(options)  # before seeding: a bad --fault fails at once
    state = IdoSellState(api_key=options.get("api_key") or "test-idosell-key")
    seed_clients(state, int(options.get("seed") or 0))
    print(f"base_url = http://127.0.0.1:{options.get('port') or 8802}{PREFIX}", flush=True)
    app = make_app(state, FaultState(plan))
    serve_forever(app, int(options.get("port") or 8802), date_header=False)  # its own clock


__all__ = ["PREFIX", "Fault", "IdoSellState", "make_app", "seed_clients", "serve"]
