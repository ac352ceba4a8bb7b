"""A test world for the second pair: a fake F/K database and a fake IdoSell, the real engine.

The F/K program is a SQLite file with one flavour's tables (the connector reaches it only
through SQL); IdoSell is served in-process (the engine's HTTP client gets the fake's ASGI
app as its transport). Every request and response to IdoSell is recorded, so tests can count
calls and check them against the vendor's spec.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fakes.fk import FkDatabase
from fakes.idosell import IdoSellState, make_app
from fakes.toolkit import FaultPlan, FaultRule, FaultState, SyncASGITransport
from framework.config import parse_config
from framework.engine.engine import Engine
from framework.engine.report import RunReport
from framework.models import SystemContext, WriteRequest
from framework.presets import deep_merge
from tests.recorder import Recorder

API_KEY = "test-idosell-key"
BASE_URL = "https://yourshop.iai-shop.com/api/admin/v6"
BRIDGE_USER = "7"  # the F/K user id the bridge records its writes under (G-8)


def fk_idosell_config(
    tmp: Path, flavour: str, overrides: dict[str, Any] | None = None, **idosell: Any
) -> dict[str, Any]:
    """The configuration of the world, with ``overrides`` laid over the pair."""
    pair: dict[str, Any] = {
        "preset": "fk-idosell",
        "pos": "fk",
        "platform": "shop",
        "default_associate": BRIDGE_USER,
    }
    return {
        "state": {"path": str(tmp / "state.db")},
        "engine": {"retry_attempts": 3, "retry_initial_wait": 0.01, "retry_max_wait": 0.05},
        "systems": {
            "fk": {"connector": "fk", "url": "sqlite:///fk.db", "flavour": flavour},
            "shop": {"connector": "idosell", "base_url": BASE_URL, "api_key": API_KEY, **idosell},
        },
        "pairs": {"store": deep_merge(pair, overrides or {})},
    }


class IsWorld:
    """The F/K program, the IdoSell shop and the engine; ``sync()`` is one engine run."""

    def __init__(
        self,
        tmp: Path,
        flavour: str = "subiekt_gt",
        overrides: dict[str, Any] | None = None,
        **idosell: Any,
    ):
        tmp.mkdir(parents=True, exist_ok=True)
        self.tmp = tmp
        self.fk = FkDatabase(tmp / "fk.db", flavour)
        self.shop = IdoSellState(api_key=API_KEY)
        self.faults = FaultState()
        self.transport = Recorder(SyncASGITransport(make_app(self.shop, self.faults)))
        config, hooks = parse_config(
            fk_idosell_config(tmp, flavour, overrides, **idosell), source="test.toml", base_dir=tmp
        )
        self.engine = Engine(config, hooks, transports={"shop": self.transport})
        self.reports: list[RunReport] = []
        self.sent: list[tuple[str, WriteRequest]] = []
        self._record_writes()

    def _record_writes(self) -> None:
        """Keep every write the engine hands a connector (what it sends, whatever is kept)."""
        hooks = self.engine.hooks
        change, batch = hooks.apply_change, hooks.apply_batch

        def apply_change(system: SystemContext, request: WriteRequest) -> Any:
            self.sent.append((system.name, request))
            return change(system, request)

        def apply_batch(system: SystemContext, requests: list[WriteRequest]) -> Any:
            self.sent.extend((system.name, r) for r in requests)
            return batch(system, requests)

        hooks.apply_change = apply_change  # type: ignore[method-assign]
        hooks.apply_batch = apply_batch  # type: ignore[method-assign]

    def sync(self) -> RunReport:
        """One engine run; the shop's clock then moves on a minute (runs are minutes apart)."""
        report = self.engine.run_pair("store")
        self.reports.append(report)
        self.shop.clock.offset += dt.timedelta(minutes=1)
        return report

    def settle(self, runs: int = 2) -> RunReport:
        """Several runs: the writes, then their read-backs."""
        report = self.sync()
        for _ in range(runs - 1):
            report = self.sync()
        return report

    def fail(self, *rules: FaultRule) -> None:
        """Inject faults into the fake IdoSell."""
        self.faults.configure(FaultPlan(rules=list(rules)))

    # -- looking ----------------------------------------------------------------------------

    def client(self, code: str) -> dict[str, Any]:
        """The IdoSell client with this external code, as GET returns it (plus extras)."""
        found = [c for c in self.shop.snapshot()["clients"] if c["clientCodeExternal"] == code]
        assert len(found) == 1, f"{len(found)} IdoSell clients with external code {code!r}"
        return found[0]

    def raw(self, code: str) -> dict[str, Any]:
        """The fake's own record of the client with this code."""
        return self.shop.by_code(code)

    def calls(self, report: RunReport) -> int:
        """The IdoSell calls a run made, as the engine counted them."""
        return report.calls.get("shop.calls", 0)

    def problems(self) -> list[Any]:
        """Open problems."""
        return self.engine.store.problems()

    def close(self) -> None:
        """Close the engine and the database."""
        self.engine.close()
        self.fk.close()
