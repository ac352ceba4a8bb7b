"""A test world for edge-square: the fake Edge, the fake Square (in-process), the real engine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fakes.edge import EdgeFake
from fakes.square import SquareState, make_app
from fakes.toolkit import FaultPlan, FaultRule, FaultState, SyncASGITransport
from framework.config import parse_config
from framework.engine.engine import Engine
from framework.engine.report import RunReport
from framework.presets import deep_merge

TOKEN = "test-square-token"
PAIR = "store"


def edge_square_config(tmp: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The configuration of the test world, with ``overrides`` laid over the pair."""
    pair: dict[str, Any] = {
        "preset": "edge-square",
        "pos": "edge",
        "platform": "square",
        "default_associate": "1",
    }
    (tmp / "edt").mkdir(parents=True, exist_ok=True)  # syncwright never makes Edge's folder
    return {
        "state": {"path": str(tmp / "state.db")},
        "engine": {"retry_attempts": 3, "retry_initial_wait": 0.01, "retry_max_wait": 0.05},
        "systems": {
            "edge": {
                "connector": "edge",
                "folder": str(tmp / "edt"),
                "store_license_id": "1001",
                "settle_seconds": 0,
            },
            "square": {
                "connector": "square",
                "base_url": "https://connect.squareup.com",
                "api_key": TOKEN,
                "search_lag_seconds": 60,
            },
        },
        "pairs": {PAIR: deep_merge(pair, overrides or {})},
    }


class SquareWorld:
    """Edge, Square and the engine; ``sync()`` is one EDT cycle and one engine run."""

    def __init__(
        self,
        tmp: Path,
        overrides: dict[str, Any] | None = None,
        transport: Any = None,
    ):
        self.tmp = tmp
        self.edge = EdgeFake(tmp / "edt")
        self.sq = SquareState(token=TOKEN)
        self.faults = FaultState()
        self.app = make_app(self.sq, self.faults)
        self.transport = (transport or (lambda t: t))(SyncASGITransport(self.app))
        self.config, hooks = parse_config(
            edge_square_config(tmp, overrides), source="test.toml", base_dir=tmp
        )
        self.engine = Engine(self.config, hooks, transports={"square": self.transport})
        self.reports: list[RunReport] = []

    def sync(self) -> RunReport:
        """One EDT cycle and one engine run."""
        self.edge.run_cycle()
        report = self.engine.run_pair(PAIR)
        self.reports.append(report)
        return report

    def settle(self, runs: int = 3) -> RunReport:
        """Several syncs: enough for Edge imports to land and be read back."""
        report = self.sync()
        for _ in range(runs - 1):
            report = self.sync()
        return report

    def later(self, seconds: float) -> None:
        """Let Square's clock run on (search catches up after its lag)."""
        self.sq.clock.offset += dt.timedelta(seconds=seconds)

    def fail(self, *rules: FaultRule) -> None:
        """Inject faults into the fake Square."""
        self.faults.configure(FaultPlan(rules=list(rules)))

    # -- looking ----------------------------------------------------------------------------

    def customers(self) -> list[dict[str, Any]]:
        """Live Square customers, in Square's shape."""
        return [self.sq.public(r) for r in self.sq.customers.live()]

    def square_of(self, edge_key: str) -> dict[str, Any]:
        """The Square customer linked to an Edge customer."""
        link = self.engine.store.link_by_id(PAIR, "customer", "pos", edge_key)
        assert link is not None, f"{edge_key} is not linked"
        return self.sq.customer(link.platform_id)

    def edge_key_of(self, square_id: str) -> str:
        """The Edge customer linked to a Square customer."""
        link = self.engine.store.link_by_id(PAIR, "customer", "platform", square_id)
        assert link is not None, f"{square_id} is not linked"
        assert not link.pending_on("pos"), f"{square_id} has no Edge key yet"
        return link.pos_id

    def edge_emails(self, key: str) -> list[str]:
        """An Edge customer's e-mail addresses."""
        return [m["PairValue"]["EmailEmail"] for m in self.edge.customers[key]["Emails"]]

    def edge_phones(self, key: str) -> list[str]:
        """An Edge customer's phone numbers, as Edge holds them."""
        return [m["PairValue"]["PhonePhone"] for m in self.edge.customers[key]["Phones"]]

    def close(self) -> None:
        """Close the engine."""
        self.engine.close()
