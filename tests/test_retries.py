"""Retries (tenacity), Retry-After, the retry budget, error classes and rate limits (G-5, IS-6)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from fakes.clientbook import ClientbookState, make_app
from fakes.toolkit import FaultPlan, FaultRule, FaultState, RateLimit, SyncASGITransport
from framework.engine.retry import RetryPolicy, call_with_retries
from framework.errors import FatalError, RetryableError, RetryBudgetExhausted
from framework.http import CallMeter, MeteredTransport, paced_rates
from tests.harness import World


def flaky(failures: list[Exception], result: str = "done"):
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return result

    return fn, calls


@pytest.mark.rule("G-5")
def test_retry_after_is_honoured_and_capped_and_backoff_has_jitter():
    waits: list[float] = []
    fn, calls = flaky(
        [
            RetryableError("429", retry_after=2.5),
            RetryableError("429", retry_after=500.0),
            RetryableError("503"),
            RetryableError("503"),
        ]
    )
    policy = RetryPolicy(attempts=6, initial_wait=0.5, max_wait=60.0)
    assert call_with_retries(fn, policy, what="x", sleep=waits.append) == "done"
    assert len(calls) == 5
    assert waits[:2] == [2.5, 60.0], "the system's wait, capped at max_wait"
    assert all(0 < w <= 60 for w in waits[2:]), "then exponential backoff"
    spread = set()
    for _ in range(20):
        sleeps: list[float] = []
        fn, _ = flaky([RetryableError("503")])
        call_with_retries(fn, policy, what="x", sleep=sleeps.append)
        spread.add(round(sleeps[0], 6))
    assert len(spread) > 5, "jitter: retries of many clients do not line up"


@pytest.mark.rule("G-5")
def test_the_budget_ends_in_a_classified_error_and_fatal_errors_are_not_retried():
    fn, calls = flaky([RetryableError("boom 503", system="cb", status=503) for _ in range(9)])
    with pytest.raises(RetryBudgetExhausted) as info:
        call_with_retries(fn, RetryPolicy(3, 0, 0), what="writing to cb", sleep=lambda s: None)
    assert len(calls) == 3
    assert str(info.value).startswith("writing to cb: boom 503 (gave up after 3 attempts in ")
    assert info.value.status == 503
    assert info.value.system == "cb"
    fn, calls = flaky([FatalError("401 unauthorized")])
    with pytest.raises(FatalError):
        call_with_retries(fn, RetryPolicy(5, 0, 0), what="x", sleep=lambda s: None)
    assert len(calls) == 1, "retrying cannot fix a fatal error"


@pytest.mark.rule("G-5")
def test_the_engine_waits_what_a_429_asks(world: World, monkeypatch: pytest.MonkeyPatch):
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    world.edge.add_customer("Ada", "Lovelace", emails=[("Home", "ada@example.com")])
    world.fail(FaultRule(kind="429", nth=[1], retry_after=0.04))
    world.sync()
    assert waits == [0.04]
    assert len(world.clients()) == 1


@pytest.mark.rule("IS-6")
def test_client_side_rate_limit_keeps_under_the_systems_cap():
    def burst(limited: bool) -> tuple[int, float]:
        # Without the limiter the window is long, so a loaded machine cannot spread the
        # burst thin enough to stay under the cap by accident.
        window = 0.4 if limited else 30.0
        faults = FaultState(FaultPlan(rate_limit=RateLimit(requests=5, window=window)))
        inner = SyncASGITransport(make_app(ClientbookState(api_key="k"), faults))
        transport = MeteredTransport(inner, "cb", CallMeter(), 5 if limited else None, 0.4)
        client = httpx.Client(
            base_url="http://cb.test", transport=transport, headers={"authorization": "Bearer k"}
        )
        started = time.monotonic()
        statuses = [client.get("/v1/associates").status_code for _ in range(15)]
        client.close()
        return statuses.count(429), time.monotonic() - started

    rejected, seconds = burst(limited=True)
    assert rejected == 0, "the client waited for its turn"
    assert seconds >= 0.7, "15 requests at 5 per 0.4 s take at least two more windows"
    rejected, _ = burst(limited=False)
    assert rejected > 0, "without the limiter the same burst runs into the cap"


@pytest.mark.rule("IS-6")
def test_the_client_side_cap_is_paced_not_spent_at_once():
    def rates(per_window: int, window: float) -> list[tuple[int, int]]:
        return [(r.limit, r.interval) for r in paced_rates(per_window, window)]

    assert rates(600, 60) == [(10, 1000), (600, 60_000)]  # 10 a second
    assert rates(100, 60) == [(2, 1200), (100, 60_000)]
    assert rates(5, 0.4) == [(5, 400)]  # under a second: the window itself
    # A platform enforcing the same rate over one-second slices (4/s) sees no burst from a
    # client capped at 12 per 3 s: it never gets a 429.
    faults = FaultState(FaultPlan(rate_limit=RateLimit(requests=4, window=1.0)))
    inner = SyncASGITransport(make_app(ClientbookState(api_key="k"), faults))
    transport = MeteredTransport(inner, "cb", CallMeter(), 12, 3.0)
    with httpx.Client(
        base_url="http://cb.test", transport=transport, headers={"authorization": "Bearer k"}
    ) as client:
        statuses = [client.get("/v1/associates").status_code for _ in range(12)]
    assert statuses == [200] * 12
    assert faults.summary()["rate_limited"] == 0


@pytest.mark.rule("G-5", "G-8")
def test_a_transient_failure_while_mapping_an_associate_is_retried_not_quarantined(
    world: World,
):
    world.cb.create_client({"first_name": "Noor", "email": "noor@example.com"}, "as_12")
    world.fail(FaultRule(kind="502", nth=[1, 2], path="/v1/associates"))
    report = world.settle()
    assert world.problems() == []
    assert world.edge_by_name("Noor", None)  # type: ignore[arg-type]
    assert world.edge_by_name("Noor", None)[0]["CustomerUpdateUser"] == "12"  # type: ignore[arg-type]
    assert report.errors == []


@pytest.mark.rule("G-5")
def test_an_unreachable_system_during_reconcile_leaves_the_records_staged(world: World):
    for i in range(3):
        world.cb.create_client({"first_name": f"N{i}", "email": f"n{i}@example.com"}, "as_12")
    world.fail(FaultRule(kind="503", rate=1.0, path="/v1/associates"))
    report = world.sync()
    assert report.status == "partial"
    assert any("associates" in e and "gave up after 3" in e for e in report.errors)
    assert world.problems() == [], "a system being down is not the record's fault"
    assert world.engine.store.inbox_count("store") == 3, "all three wait, staged"
    world.fail()
    world.settle()
    assert len(world.edge.customers) == 3
    assert world.engine.store.inbox_count("store") == 0


@pytest.mark.rule("G-5", "G-6")
def test_single_writes_made_before_the_system_went_down_are_settled_the_rest_wait(world: World):
    # Notes go one by one (no batch endpoint) and settle together: when the system goes
    # down after two of five, those two are settled and the other three stay journaled.
    key = world.edge.add_customer("Ada", "Lovelace", emails=[("Home", "ada@example.com")])
    world.sync()
    for n in range(5):
        world.edge.add_note(key, f"Note {n}")
    world.fail(FaultRule(kind="503", nth=list(range(3, 30)), path="/v1/activity", methods=["POST"]))
    report = world.sync()
    assert report.status == "partial"
    assert any("gave up after 3" in e for e in report.errors)
    assert len(world.notes_of(world.client_of(key)["id"])) == 2
    left = world.engine.store.intents("store", "note")
    assert len(left) == 3, "the three not written stay journaled"
    settled = [m for m in world.moves("note") if m.action == "create"]
    assert len(settled) == 2, "the two written are settled (linked, moved)"
    world.fail()
    world.sync()
    assert sorted(n["text"] for n in world.notes_of(world.client_of(key)["id"])) == [
        f"Note {n}" for n in range(5)
    ]
    assert world.engine.store.intents("store") == []
    assert world.problems() == []


@pytest.mark.rule("G-5")
def test_bad_credentials_are_fatal_one_clear_line_and_lose_nothing(tmp_path: Path):
    world = World(tmp_path, settings={"systems": {"clientbook": {"api_key": "wrong-key"}}})
    world.edge.add_customer("Kept", "Safe", emails=[("Home", "kept@example.com")])
    report = world.sync()
    assert report.status == "partial"
    assert report.counts["retry.clientbook"] == 0, "401 is not retried"
    assert len(report.errors) == 1
    assert "401" in report.errors[0]
    assert "unauthorized" in report.errors[0]
    assert "wrong-key" not in report.errors[0]
    assert world.problems() == []
    assert world.engine.store.inbox_count("store") == 1
    world.close()
