"""The bundled pairs the benchmark can upload (``--pair``): each pair's fake, system and store.

A pair says which side holds the store (the fake Edge's EDT folder, or the fake F/K
program's SQLite file), which fake platform answers, how the engine's configuration names
it, and which of the store's entities its preset moves up. Everything else (phases, floors,
latency, memory, the report) is the same for every pair (``runner.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fakes.toolkit import FaultPlan, FaultState, RateLimit

API_KEY = "bench-platform-key"
PODIUM_TOKEN = "pat_bench"
"""The one access token the benchmark's Podium issues, so a floor's replay (which sends the
engine's recorded ``Authorization`` headers) is accepted by a fresh fake."""


@dataclass(frozen=True)
class Pair:
    """One bundled pair as the benchmark runs it."""

    name: str
    """The preset's name, and ``--pair``'s."""
    platform: str
    """The platform's system name in the configuration (the engine's transport key)."""
    pos: Literal["edge", "fk"]
    entities: tuple[str, ...]
    """The store's entities the preset moves up (what the initial upload must create)."""
    make_app: Callable[[str | None], Any]
    """A fresh fake platform as an ASGI app, with the rate limit ``REQUESTS/SECONDS`` if any."""
    make_system: Callable[[str], dict[str, Any]]
    """The platform's ``[systems.NAME]`` table for a fake served at a base URL."""
    flows: dict[str, Any]
    """The pair's ``flows`` over its preset."""
    label: str = ""
    """The platform's name in the report's tables."""
    own_date_header: bool = False
    """The fake sends its own clock's ``Date`` (uvicorn must not add one)."""

    def store_config(self, store: Path) -> dict[str, Any]:
        """The POS system's table for a copy of the store at ``store``."""
        if self.pos == "edge":
            return {
                "connector": "edge",
                "folder": str(store),
                "store_license_id": "1001",
                "settle_seconds": 0,
            }
        return {"connector": "fk", "url": f"sqlite:///{store}", "flavour": "subiekt_gt"}


def fault_plan(rate_limit: str | None) -> FaultPlan:
    """No faults; a rate limit ``REQUESTS/SECONDS`` when given."""
    if not rate_limit:
        return FaultPlan()
    requests, _, window = rate_limit.partition("/")
    return FaultPlan(rate_limit=RateLimit(requests=int(requests), window=float(window or 60)))


def _faults(rate_limit: str | None) -> FaultState:
    return FaultState(fault_plan(rate_limit))


# -- Clientbook ---------------------------------------------------------------------------------


def clientbook_state() -> Any:
    """An empty Clientbook with the associates of the tests and demos."""
    from fakes.clientbook import ClientbookState

    state = ClientbookState(api_key=API_KEY)
    state.add_associate("as_12", "Maria Lopez", "12")
    state.add_associate("as_77", "Sam Carter", None)
    return state


def _clientbook_app(rate_limit: str | None) -> Any:
    from fakes.clientbook import make_app

    return make_app(clientbook_state(), _faults(rate_limit))


def _clientbook_system(url: str) -> dict[str, Any]:
    return {"connector": "clientbook", "base_url": url, "api_key": API_KEY}


# -- Podium -------------------------------------------------------------------------------------

PODIUM_CLIENT = ("bench-podium-app", "bench-podium-secret", "bench-podium-refresh")


def _podium_app(rate_limit: str | None) -> Any:
    """An empty Podium (Clientele+) whose queued writes show at once, no rate limit unless
    asked (the connector's own cap is off too: the benchmark measures the engine)."""
    from fakes.podium import PodiumState, make_app
    from fakes.podium.queue import OAuth

    class OneToken(OAuth):
        def grant(self, body: dict[str, object]) -> tuple[int, dict[str, object]]:
            status, answer = super().grant(body)
            if status == 200:
                self.tokens.pop(str(answer["access_token"]), None)
                answer["access_token"] = PODIUM_TOKEN
            return status, answer

    client_id, secret, refresh = PODIUM_CLIENT
    state = PodiumState(
        tier="clientele_plus",
        visibility_delay=0.0,
        client_id=client_id,
        client_secret=secret,
        refresh_token=refresh,
    )
    state.oauth = OneToken(state.clock, client_id, secret, refresh, state.token_ttl)
    state.oauth.tokens[PODIUM_TOKEN] = state.clock.now() + dt.timedelta(days=365)
    return make_app(state, _faults(rate_limit))


def _podium_system(url: str) -> dict[str, Any]:
    client_id, secret, refresh = PODIUM_CLIENT
    return {
        "connector": "podium",
        "base_url": url,
        "token_url": f"{url}/oauth/token",
        "client_id": client_id,
        "client_secret": secret,
        "refresh_token": refresh,
        "tier": "clientele_plus",
        "rate_limit_per_minute": None,
        "visibility_wait": 0.01,
    }


# -- Square -------------------------------------------------------------------------------------


def _square_app(rate_limit: str | None) -> Any:
    from fakes.square import SquareState, make_app

    return make_app(SquareState(token=API_KEY), _faults(rate_limit))


def _square_system(url: str) -> dict[str, Any]:
    return {"connector": "square", "base_url": url, "api_key": API_KEY, "search_lag_seconds": 60}


# -- IdoSell ------------------------------------------------------------------------------------


def _idosell_app(rate_limit: str | None) -> Any:
    from fakes.idosell import IdoSellState, make_app

    return make_app(IdoSellState(api_key=API_KEY), _faults(rate_limit))


def _idosell_system(url: str) -> dict[str, Any]:
    from fakes.idosell import PREFIX

    return {"connector": "idosell", "base_url": f"{url}{PREFIX}", "api_key": API_KEY}


CUSTOM_FIELDS = {"custom": {"map": {"CustomerKey1": "Ring size", "CustomerKey2": "Metal"}}}

PAIRS: dict[str, Pair] = {
    p.name: p
    for p in (
        Pair(
            name="edge-clientbook",
            label="Clientbook",
            platform="clientbook",
            pos="edge",
            entities=("customer", "product", "wish", "note", "purchase", "service_job"),
            make_app=_clientbook_app,
            make_system=_clientbook_system,
            flows={"customer": {"fields": CUSTOM_FIELDS}},
        ),
        Pair(
            name="edge-podium",
            label="Podium",
            platform="podium",
            pos="edge",
            entities=("customer", "product", "purchase", "service_job"),
            make_app=_podium_app,
            make_system=_podium_system,
            flows={"customer": {"fields": CUSTOM_FIELDS}},
        ),
        Pair(
            name="edge-square",
            label="Square",
            platform="square",
            pos="edge",
            entities=("customer",),
            make_app=_square_app,
            make_system=_square_system,
            flows={},
        ),
        Pair(
            name="fk-idosell",
            label="IdoSell",
            platform="shop",
            pos="fk",
            entities=("customer",),
            make_app=_idosell_app,
            make_system=_idosell_system,
            flows={},
            own_date_header=True,
        ),
    )
}


def pair_named(name: str) -> Pair:
    """The bundled pair ``name``; a clear message naming the known ones when there is none."""
    try:
        return PAIRS[name]
    except KeyError:
        raise SystemExit(f"--pair {name!r}: one of {', '.join(PAIRS)}") from None
