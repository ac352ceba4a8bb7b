"""IS-6: IdoSell API calls per 1,000 customers, for the note in docs/fk-idosell.md.

Counts calls (never times them) of the real engine between a fake Subiekt GT database and the
fake IdoSell, in-process:

    .venv/bin/python benchmarks/fk_idosell_api_calls.py [CUSTOMERS]
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

from fakes.idosell import seed_clients
from fakes.polish import kontrahenci
from tests.fk_idosell_world import IsWorld


def calls(world: IsWorld, label: str, rows: list[tuple[str, int, str]]) -> None:
    start = len(world.transport.exchanges)
    report = world.sync()
    ops = Counter(
        f"{r.method} {r.url.path.removeprefix('/api/admin/v6/')}"
        for r, _ in world.transport.exchanges[start:]
    )
    assert not report.errors, report.errors
    rows.append(
        (label, world.calls(report), ", ".join(f"{k} x{v}" for k, v in sorted(ops.items())))
    )


def main(n: int) -> None:
    rows: list[tuple[str, int, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        world = IsWorld(Path(tmp) / "a")
        seeds = kontrahenci(n)
        for k in seeds:
            world.fk.add(k)
        calls(world, "initial upload (IdoSell empty)", rows)
        calls(world, "next run: the upload read back", rows)
        calls(world, "incremental, nothing changed", rows)
        for code in world.fk.codes()[: max(1, n // 100)]:
            world.fk.update(code, street="ul. Zmieniona 1")
        calls(world, "incremental, 1% changed (billing)", rows)
        calls(world, "next run: the 1% read back", rows)
        for code in world.fk.codes()[: max(1, n // 100)]:
            world.fk.add_delivery(code, "ul. Nowa 2", "00-950", "Warszawa")
        calls(world, "incremental, 1% new delivery address", rows)
        calls(world, "next run: read back", rows)
        calls(world, "incremental, nothing changed", rows)
        world.close()

        world = IsWorld(Path(tmp) / "b")
        for k in seeds:
            world.fk.add(k)
        for client_id, k in zip(seed_clients(world.shop, n), seeds, strict=True):
            world.shop.set_code(client_id, None, k.code)
        calls(world, "first run, all pre-existing and linked by code (IS-3)", rows)
        calls(world, "next run: read back", rows)
        calls(world, "incremental, nothing changed", rows)
        world.close()
    print(f"IdoSell API calls for {n} customers")
    for label, count, ops in rows:
        print(f"{count:6d}  {label}: {ops}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
