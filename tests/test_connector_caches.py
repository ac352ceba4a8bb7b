"""Connectors' caches are filled once when writes in flight ask at once.

With ``in_flight`` 8 the engine calls a connector from eight threads: a cache entry read by
each (Square's groups, Podium's token, location and attributes, Clientbook's associates)
was asked of the platform by every thread that found it empty, and Podium's missing contact
attribute was defined once per thread. Each fake is served over HTTP with the filling call
slowed down, so the threads really wait together, and the calls are counted as they reach it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes.clientbook import ClientbookState
from fakes.clientbook import make_app as clientbook_app
from fakes.podium import PodiumState
from fakes.podium import make_app as podium_app
from fakes.square import SquareState
from fakes.square import make_app as square_app
from fakes.toolkit import BackgroundServer, FaultPlan, FaultRule, FaultState
from framework.config import parse_config
from framework.engine.engine import Engine
from plugins.clientbook import plugin as clientbook
from plugins.podium.api import call as podium_call
from plugins.podium.contacts import attribute_uid, location
from plugins.square import plugin as square
from tests.harness import API_KEY, edge_clientbook_config
from tests.podium_world import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, edge_podium_config
from tests.recorder import Recorder
from tests.square_world import TOKEN, edge_square_config

LANES = 8


def slow(path: str, method: str = "GET") -> FaultRule:
    """Every such request answers after 0.1 s: long enough for all lanes to ask meanwhile."""
    return FaultRule(kind="slow", delay=0.1, rate=1.0, path=path, methods=[method])


@contextmanager
def served(app_of: Callable[[FaultState], Any], *rules: FaultRule) -> Iterator[str]:
    server = BackgroundServer(app_of(FaultState(FaultPlan(rules=list(rules))))).start()
    try:
        yield server.url
    finally:
        server.stop()


def engine_for(tmp: Path, config: dict[str, Any], system: str) -> tuple[Engine, Recorder]:
    """The real engine, its requests to ``system`` counted on their way to the fake."""
    recorder = Recorder(httpx.HTTPTransport())
    parsed, hooks = parse_config(config, source="t.toml", base_dir=tmp)
    return Engine(parsed, hooks, transports={system: recorder}), recorder


def calls(recorder: Recorder) -> Counter[str]:
    return Counter(f"{r.method} {r.url.path}" for r, _ in recorder.exchanges)


def at_once(ask: Callable[[], Any]) -> list[Any]:
    """``ask()`` from every lane at the same moment."""
    with ThreadPoolExecutor(LANES) as pool:
        return list(pool.map(lambda _: ask(), range(LANES)))


def podium_state() -> PodiumState:
    return PodiumState(
        visibility_delay=0.0,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
    )


def podium_config(tmp: Path, url: str) -> dict[str, Any]:
    system = {
        "base_url": url,
        "token_url": f"{url}/oauth/token",
        "in_flight": LANES,
        "rate_limit_per_minute": None,
    }
    return edge_podium_config(tmp, podium=system)


@pytest.mark.rule("PD-3")
def test_podium_location_and_attributes_are_read_once_and_defined_once(tmp_path: Path):
    pd = podium_state()
    rules = (slow("/v4/locations"), slow("/v4/contact_attributes", "GET"))
    with served(lambda faults: podium_app(pd, faults), *rules) as url:
        engine, recorder = engine_for(tmp_path, podium_config(tmp_path, url), "podium")
        system = engine.systems["podium"]
        podium_call(system, "GET", "/v4/contacts")  # the token first: its own test is below
        locations = at_once(lambda: location(system))
        uids = at_once(lambda: attribute_uid(system, "Ring size"))  # Podium lacks it
        engine.close()
    assert len(set(locations)) == 1
    assert len(set(uids)) == 1
    made = calls(recorder)
    assert made["GET /v4/locations"] == 1, made
    assert made["GET /v4/contact_attributes"] == 1, made
    assert made["POST /v4/contact_attributes"] == 1, "defined once, not once per lane"
    assert [a["label"] for a in pd.attributes.values()] == ["Ring size"]


def test_podium_lanes_share_one_access_token_and_renew_it_once(tmp_path: Path):
    pd = podium_state()
    with served(lambda faults: podium_app(pd, faults), slow("/oauth/token", "POST")) as url:
        engine, recorder = engine_for(tmp_path, podium_config(tmp_path, url), "podium")
        system = engine.systems["podium"]
        at_once(lambda: podium_call(system, "GET", "/v4/locations"))
        assert calls(recorder)["POST /oauth/token"] == 1, "one token for every lane"
        pd.oauth.expire_all()  # Podium refuses the token every lane holds: each gets a 401
        answers = at_once(lambda: podium_call(system, "GET", "/v4/locations"))
        engine.close()
    assert all(a["data"] for a in answers), "every lane's call went through on the new token"
    made = calls(recorder)
    assert made["POST /oauth/token"] == 2, "renewed once, not once per lane that saw the 401"
    assert made["GET /v4/locations"] >= 2 * LANES


@pytest.mark.rule("SQ-3")
def test_square_groups_are_read_once_when_lanes_ask_at_once(tmp_path: Path):
    sq = SquareState(token=TOKEN)
    sq.create_group("VIP")
    with served(lambda faults: square_app(sq, faults), slow("/v2/customers/groups")) as url:
        config = edge_square_config(tmp_path)
        config["systems"]["square"]["base_url"] = url
        engine, recorder = engine_for(tmp_path, config, "square")
        answers = at_once(lambda: square.group_names(engine.systems["square"]))
        engine.close()
    assert all("VIP" in names.values() for names in answers)
    made = calls(recorder)
    assert made["GET /v2/customers/groups"] == 1, made
    assert made["GET /v2/customers/segments"] == 1, made


@pytest.mark.rule("G-8")
def test_clientbook_associates_are_read_once_when_lanes_ask_at_once(tmp_path: Path):
    cb = ClientbookState(api_key=API_KEY)
    cb.add_associate("as_12", "Maria Lopez", "12")
    with served(lambda faults: clientbook_app(cb, faults), slow("/v1/associates")) as url:
        config = edge_clientbook_config(tmp_path, systems={"clientbook": {"base_url": url}})
        engine, recorder = engine_for(tmp_path, config, "clientbook")
        system = engine.systems["clientbook"]
        answers = at_once(lambda: clientbook.associate(system, "as_12", None))
        engine.close()
    assert {a.pos_associate for a in answers} == {"12"}
    assert calls(recorder)["GET /v1/associates"] == 1
