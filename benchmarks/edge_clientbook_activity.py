"""Benchmark: the G-6 volume round trip of Edge <-> Clientbook beyond customers.

``python benchmarks/edge_clientbook_activity.py [CUSTOMERS]`` builds CUSTOMERS busy customers
(each 50 wishes, 200 notes, 300 sale lines; a fifth of the wishes and a tenth of the notes
added in Clientbook), syncs until everything has moved, then runs twice more, and prints time,
API calls and records per second of each phase. Uses the test world (real engine, the
Clientbook fake in-process, the Edge fake on files).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness import World
from tests.scenarios import add_clientbook_side, busy_customer

MOVES = ("create", "update", "delete", "link")


def phase(world: World, runs: int) -> tuple[float, int, int, float]:
    """Run ``runs`` syncs: seconds, API calls, records moved, seconds spent in EDT cycles."""
    start, before = time.perf_counter(), len(world.reports)
    edt = 0.0
    for _ in range(runs):
        t0 = time.perf_counter()
        world.edge.run_cycle()
        edt += time.perf_counter() - t0
        world.reports.append(world.engine.run_pair("store"))
    seconds = time.perf_counter() - start
    reports = world.reports[before:]
    calls = sum(n for r in reports for k, n in r.calls.items() if k.endswith(".calls"))
    moved = sum(n for r in reports for k, n in r.counts.items() if k.split(".")[1] in MOVES)
    return seconds, calls, moved, edt


def main(customers: int) -> None:
    """Run the benchmark and print a table."""
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Path(tmp))
        busy = [busy_customer(world, n) for n in range(customers)]
        rows = [("upload (Edge -> Clientbook)", *phase(world, 2))]
        for b in busy:
            add_clientbook_side(world, b)
        rows.append(("download (Clientbook -> Edge)", *phase(world, 5)))
        rows.append(("second and third run", *phase(world, 2)))
        world.close()
    print(f"{customers} customer(s) x (50 wishes, 200 notes, 300 sales)")
    print(f"{'phase':32} {'s':>7} {'EDT s':>7} {'calls':>6} {'moved':>6} {'moved/s':>8}")
    for name, seconds, calls, moved, edt in rows:
        engine = seconds - edt
        rate = moved / engine if engine > 0 else 0.0
        print(f"{name:32} {seconds:7.2f} {edt:7.2f} {calls:6d} {moved:6d} {rate:8.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
