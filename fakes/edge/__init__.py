"""The fake Edge POS: an in-memory store that exchanges EDT files in a folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import Field

from fakes.edge.store import EdgeFake
from fakes.seed import SeedCustomer, customers
from fakes.toolkit.options import Fake, FolderFakeOptions


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


class EdgeOptions(FolderFakeOptions):
    """``syncwright fake serve edge`` options."""

    folder: Path = Field(Path("edt"), description="The EDT exchange folder")
    store_license_id: str = Field("1001", description="The store's StoreLicenseID (sub-folder)")
    interval: float = Field(60.0, gt=0, description="Seconds between EDT cycles")


def build(options: EdgeOptions) -> EdgeFake:
    """The fake Edge for ``options``, seeded."""
    edge = EdgeFake(options.folder, options.store_license_id)
    for customer in customers(options.seed):
        add_seed(edge, customer)
    return edge


def _run(options: EdgeOptions) -> None:
    serve_edge(build(options), options.interval)


fake = Fake("edge", "Edge POS exchanging EDT files in a folder", EdgeOptions, _run)


def serve(options: dict[str, Any]) -> None:
    """``syncwright fake serve edge``: EDT cycles on a folder every minute, until stopped."""
    fake.serve(options)


def serve_edge(edge: EdgeFake, interval: float = 60.0) -> None:
    """Run a fake Edge: an EDT cycle every ``interval`` seconds, until stopped."""
    while True:
        written = edge.run_cycle()
        print(
            f"EDT cycle {edge.cycles}: exported {', '.join(written) or 'nothing'}; "
            f"imported {len(edge.imported)} file(s) so far",
            flush=True,
        )
        time.sleep(interval)


__all__ = [
    "EdgeFake",
    "EdgeOptions",
    "SeedCustomer",
    "add_seed",
    "build",
    "customers",
    "fake",
    "serve",
    "serve_edge",
]
