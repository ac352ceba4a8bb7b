"""The fake Edge POS: an in-memory store that exchanges EDT files in a folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fakes.edge.store import EdgeFake
from fakes.seed import SeedCustomer, customers


def add_seed(edge: EdgeFake, seed: SeedCustomer) -> str:
    """Add one seeded customer to the fake Edge; returns its key."""
    key = edge.add_customer(
        seed.first,
        seed.last,
        emails=seed.emails,
        phones=seed.phones,
        xfer=seed.xfer,
        CustomerAcquisition=seed.acquisition,
        **seed.custom,
    )
    if seed.address:
        edge.add_contact(key, "Addresses", "Home", **seed.address)
    return key


def serve(options: dict[str, Any]) -> None:
    """``syncwright fake serve edge``: EDT cycles on a folder every minute, until stopped."""
    serve_edge(options.get("folder") or "edt", seed=int(options.get("seed") or 0))


def serve_edge(
    folder: str, store_license_id: str = "1001", seed: int = 0, interval: float = 60.0
) -> None:
    """Run a fake Edge on ``folder``: an EDT cycle every ``interval`` seconds, until stopped."""
    edge = EdgeFake(Path(folder), store_license_id)
    for customer in customers(seed):
        add_seed(edge, customer)
    while True:
        written = edge.run_cycle()
        print(
            f"EDT cycle {edge.cycles}: exported {', '.join(written) or 'nothing'}; "
            f"imported {len(edge.imported)} file(s) so far",
            flush=True,
        )
        time.sleep(interval)


__all__ = ["EdgeFake", "SeedCustomer", "add_seed", "customers", "serve", "serve_edge"]
