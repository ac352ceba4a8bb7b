"""The fakes' fault toolkit and the framework's HTTP error classes, on a one-route fake.

Every HTTP fake is built with ``fakes.toolkit.build_app``, so what holds here holds for each
of them: every fault kind, before or after the fake did the work, at a rate, on the Nth
call or every Nth call, filtered by path and method, and a rate limit answering 429.
"""

from __future__ import annotations

import importlib
import time

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakes.toolkit import (
    FAULT_KINDS,
    FaultPlan,
    FaultRule,
    FaultState,
    RateLimit,
    SyncASGITransport,
    build_app,
    json_response,
    plan_from_options,
)
from framework.cli.fake import parse_fault, parse_rate
from framework.errors import ConfigError, FatalError, RetryableError, SyncwrightError
from framework.http import request_json


class Counter:
    """A fake with one record kind: POST adds one, GET counts them."""

    def __init__(self, plan: FaultPlan | None = None, timeout: float = 0.5):
        self.made = 0
        self.faults = FaultState(plan)

        async def add(request: Request) -> Response:
            self.made += 1
            return json_response({"id": self.made}, 201)

        async def count(request: Request) -> Response:
            return json_response({"count": self.made})

        app = build_app(
            [Route("/things", add, methods=["POST"]), Route("/things", count, methods=["GET"])],
            faults=self.faults,
            state=lambda: {"made": self.made},
            reset=lambda: None,
        )
        self.client = httpx.Client(
            base_url="http://fake.test", transport=SyncASGITransport(app), timeout=timeout
        )

    def post(self) -> object:
        return request_json(self.client, "POST", "/things", system="counter", json={})

    def get(self) -> object:
        return request_json(self.client, "GET", "/things", system="counter")


@pytest.mark.rule("G-5")
@pytest.mark.parametrize("kind", FAULT_KINDS)
@pytest.mark.parametrize("when", ["before", "after"])
def test_every_fault_kind_is_a_retryable_error_and_lands_only_when_after(kind: str, when: str):
    fake = Counter(FaultPlan(rules=[FaultRule(kind=kind, nth=[1], when=when, delay=2.0)]))  # type: ignore[arg-type]
    with pytest.raises(RetryableError) as info:
        fake.post()
    assert info.value.system == "counter"
    assert fake.made == (1 if when == "after" else 0), "after: the work landed all the same"
    assert fake.post() == {"id": fake.made}, "the second call is not hit"
    assert fake.faults.summary()["injected"] == {kind: 1}
    if kind == "429":
        assert info.value.retry_after == 1.0
        assert info.value.status == 429
    if kind == "slow":
        assert "timed out" in str(info.value)
    if kind == "malformed":
        assert "malformed body" in str(info.value)


def test_nth_every_and_rate_fire_where_they_say_and_repeat_with_the_seed():
    fake = Counter(
        FaultPlan(rules=[FaultRule(kind="503", nth=[2, 4]), FaultRule(kind="500", every=3)])
    )
    outcomes = []
    for _ in range(7):
        try:
            fake.get()
            outcomes.append("ok")
        except RetryableError as exc:
            outcomes.append(str(exc.status))
    # Call 2 and 4 hit the 503 rule; the 500 rule counts only the calls that reach it.
    assert outcomes == ["ok", "503", "ok", "503", "500", "ok", "ok"]

    def pattern(seed: int) -> list[bool]:
        fake = Counter(FaultPlan(rules=[FaultRule(kind="500", rate=0.3)], seed=seed))
        out = []
        for _ in range(40):
            try:
                fake.get()
                out.append(True)
            except RetryableError:
                out.append(False)
        return out

    assert pattern(7) == pattern(7), "a seeded rate is repeatable"
    assert 4 <= pattern(7).count(False) <= 20
    assert pattern(7) != pattern(8)


def test_path_and_method_filters():
    fake = Counter(FaultPlan(rules=[FaultRule(kind="500", rate=1.0, methods=["POST"])]))
    assert fake.get() == {"count": 0}
    with pytest.raises(RetryableError):
        fake.post()
    fake = Counter(FaultPlan(rules=[FaultRule(kind="500", rate=1.0, path="/other")]))
    assert fake.post() == {"id": 1}


@pytest.mark.rule("IS-6")
def test_rate_limit_answers_429_with_the_wait_until_the_window_frees():
    fake = Counter(FaultPlan(rate_limit=RateLimit(requests=3, window=0.3)))
    for _ in range(3):
        fake.get()
    with pytest.raises(RetryableError) as info:
        fake.get()
    assert info.value.status == 429
    assert info.value.retry_after is not None
    assert 0 < info.value.retry_after <= 0.3
    time.sleep(info.value.retry_after + 0.01)
    assert fake.get() == {"count": 0}
    assert fake.faults.summary()["rate_limited"] == 1


def test_the_plan_is_set_and_read_over_http():
    fake = Counter()
    plan = {"rules": [{"kind": "502", "nth": [1], "when": "after"}]}
    assert fake.client.post("/_fake/faults", json=plan).status_code == 200
    with pytest.raises(RetryableError):
        fake.post()
    assert fake.made == 1
    summary = fake.client.get("/_fake/faults").json()
    assert summary["injected"] == {"502": 1}
    assert summary["after_the_work"] == {"502": 1}


def test_a_bad_plan_from_the_command_line_is_one_clear_line():
    with pytest.raises(ConfigError) as info:
        plan_from_options({"faults": [{"kind": "418"}]})
    assert "--fault" in str(info.value)
    assert "\n" not in str(info.value)
    plan = plan_from_options({"faults": [{"kind": "drop", "rate": 0.1, "when": "after"}]})
    assert plan.rules[0].when == "after"


def test_client_errors_are_fatal_not_retried():
    fake = Counter()
    with pytest.raises(FatalError) as info:
        request_json(fake.client, "GET", "/nowhere", system="counter")
    assert info.value.status == 404


def test_fault_options_of_fake_serve_parse_every_form():
    assert parse_fault("drop:0.05+after") == {"kind": "drop", "rate": 0.05, "when": "after"}
    assert parse_fault("504@2+after") == {"kind": "504", "nth": [2], "when": "after"}
    assert parse_fault('{"kind": "slow", "rate": 0.1, "delay": 3, "path": "/v1/clients"}') == {
        "kind": "slow",
        "rate": 0.1,
        "delay": 3,
        "path": "/v1/clients",
    }
    with pytest.raises(SyncwrightError):
        parse_fault("{not json")
    with pytest.raises(SyncwrightError):
        parse_rate("many/60")


@pytest.mark.parametrize("name", ["clientbook", "square", "idosell"])
def test_every_http_fake_refuses_a_bad_fault_at_once_in_one_line(name: str, monkeypatch):
    module = importlib.import_module(f"fakes.{name}")

    def served(*args: object, **kwargs: object) -> None:
        raise AssertionError("served despite a bad --fault")

    monkeypatch.setattr(module, "serve_forever", served)
    with pytest.raises(ConfigError) as info:
        module.serve({"faults": [{"kind": "418"}]})
    assert "--fault" in str(info.value)
    assert "\n" not in str(info.value)
