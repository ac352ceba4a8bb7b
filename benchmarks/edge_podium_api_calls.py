"""Podium API calls per 1,000 customers, for the note in docs/edge-podium.md.

Counts calls (never times them) of the real engine between the fake Edge and the fake Podium,
in-process, through the connector's OAuth and Podium's 202 queue (2 s). Podium's clock moves
on 60/290 s with each request, as the connector's cap of 290 a minute spaces them on a real
store, and 15 minutes between runs:

    .venv/bin/python benchmarks/edge_podium_api_calls.py [CUSTOMERS]
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from fakes.edge import add_seed
from fakes.seed import customers
from tests.podium_spec import Recorder
from tests.podium_world import PodiumWorld

Rows = list[tuple[str, int, str]]
STEP = dt.timedelta(seconds=60 / 290)


class Paced(httpx.BaseTransport):
    """Moves Podium's clock on with each request, as a rate-limited store would see it."""

    def __init__(self, inner: httpx.BaseTransport, podium: Any):
        self.inner, self.podium = inner, podium

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.podium().clock.offset += STEP
        return self.inner.handle_request(request)


def calls(world: PodiumWorld, recorder: Recorder, label: str, rows: Rows) -> None:
    start = len(recorder.exchanges)
    world.later(900)  # fifteen minutes: Podium's queue has run, as between scheduled runs
    report = world.sync()
    assert not report.errors, report.errors
    ops = Counter(
        f"{r.method} {'/'.join(p if len(p) < 30 else '{id}' for p in r.url.path.split('/'))}"
        for r, _ in recorder.exchanges[start:]
    )
    total = report.calls.get("podium.calls", 0)
    rows.append((label, total, ", ".join(f"{k} x{v}" for k, v in sorted(ops.items()))))


def main(n: int) -> None:
    rows: Rows = []
    recorders: list[Recorder] = []

    def record(inner: Any) -> Recorder:
        recorders.append(Recorder(Paced(inner, lambda: world.pd)))
        return recorders[-1]

    with tempfile.TemporaryDirectory() as tmp:
        world = PodiumWorld(
            Path(tmp),
            {"flows": {"customer": {"fields": {"custom": {"map": {}}}}}},
            {"rate_limit_per_minute": 1_000_000},
            visibility_delay=2.0,
            transport=record,
        )
        world.faults.configure(world.faults.plan.model_copy(update={"rate_limit": None}))
        keys = [add_seed(world.edge, seed) for seed in customers(n)]
        recorder = recorders[0]
        calls(world, recorder, "initial upload (Podium empty)", rows)
        calls(world, recorder, "next run: the upload read back", rows)
        calls(world, recorder, "incremental, nothing changed", rows)
        for key in keys[: max(1, n // 100)]:
            world.edge.edit_customer(key, CustomerLastName="Changed")
        calls(world, recorder, "incremental, 1% renamed in Edge", rows)
        calls(world, recorder, "next run: the 1% read back", rows)
        for key in keys[: max(1, n // 100)]:
            world.edge.add_sale(key, [{"desc": "Watch battery", "amount": 12.0}])
            world.edge.add_job(key, "Repair", "Resize ring")
            world.edge.add_appointment(key, dt.datetime(2026, 12, 5, 14, 0), reason="Fitting")
            world.edge.add_item("Gold hoops")
        calls(world, recorder, "1%: a sale line, a job, an appointment, an item each", rows)
        world.close()
    width = max(len(r[0]) for r in rows)
    print(f"{'run':<{width}}  calls  which")
    for label, total, which in rows:
        print(f"{label:<{width}}  {total:>5}  {which}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
