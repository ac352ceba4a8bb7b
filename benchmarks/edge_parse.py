"""Edge customers read per second from one full CustomerList export (issue 13, item 4).

Times the connector's read of a ``--size`` customer ``FullCustomerList.json`` (one file, not
split), page by page as the engine asks for it (200 a page, under the engine's GC threshold):
parsing the file and turning each record into a change. Three files: a clean one, one where
one customer's first name is a lone surrogate escape (``"\\ud83d"``), one where it holds a
byte that is not UTF-8. A record counts as read when it became a change (a customer, or a
problem naming it). The rate is per second of CPU time of this process (the machine may be
shared: wall time is printed too, but varies with the load):

    .venv/bin/python -m benchmarks.edge_parse [--size 100k] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from fakes.edge import EdgeFake, add_seed
from fakes.seed import customers
from framework import SystemContext
from framework.engine.engine import fewer_collections
from plugins.edge.connector import EdgeConnector
from plugins.edge.settings import EdgeSettings

PAGE = 200
BAD = {"clean": None, "lone surrogate": "Ann\ud83d", "invalid UTF-8 byte": "Ren\udce9e"}


def export(folder: Path, size: int, bad_first_name: str | None) -> EdgeFake:
    """A fake Edge holding ``size`` seeded customers, exported as one full file."""
    edge = EdgeFake(folder, split=size + 1)
    keys = [add_seed(edge, c) for c in customers(size)]
    if bad_first_name is not None:
        edge.edit_customer(keys[size // 2], CustomerFirstName=bad_first_name)
    edge.run_cycle(full=True)
    return edge


def read_all(folder: Path) -> tuple[int, int, float, float]:
    """Customers and problems read by the connector; the CPU and wall seconds it took."""
    settings = EdgeSettings(folder=folder, store_license_id="1001", settle_seconds=0)
    system = SystemContext(name="edge", connector="edge", settings=settings)
    connector = EdgeConnector()
    read = problems = 0
    cursor: str | None = None
    start, cpu = time.perf_counter(), time.process_time()
    with fewer_collections():  # as in a run of the engine
        while True:
            page = connector.fetch_customer(system, cursor, PAGE)
            read += sum(1 for c in page.changes if c.problem is None)
            problems += sum(1 for c in page.changes if c.problem is not None)
            cursor = page.cursor
            if not page.more:
                break
    return read, problems, time.process_time() - cpu, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    """Print records read per second for each file."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.edge_parse", description=__doc__)
    parser.add_argument("--size", default="100k", help="customers in the export (100k, 10000…)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many reads")
    args = parser.parse_args(argv)
    size = int(args.size.lower().replace("k", "000"))
    head = ("file", "customers", "problems", "CPU s", "wall s", "records/s")
    print("{:<20} {:>9} {:>8} {:>7} {:>7} {:>10}".format(*head))
    for label, bad in BAD.items():
        with tempfile.TemporaryDirectory() as tmp:
            export(Path(tmp), size, bad)
            runs = [read_all(Path(tmp)) for _ in range(args.repeat)]
        read, problems, cpu, wall = min(runs, key=lambda r: r[2])
        rate = (read + problems) / cpu
        print(f"{label:<20} {read:>9} {problems:>8} {cpu:>7.2f} {wall:>7.2f} {rate:>10,.0f}")


if __name__ == "__main__":
    main()
