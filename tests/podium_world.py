"""A test world for edge-podium: the fake Edge, the fake Podium (in-process), the real engine.

Podium is reached the way the connector reaches it in production (OAuth token endpoint and
API on their own hosts); the fake's in-process transport answers both. Podium-side edits
are made as a Podium user would (``add_contact`` / ``edit_contact``), in effect at once;
the connector's writes are queued and take effect after ``visibility_delay`` (0 here unless
a test sets it: then ``later()`` moves Podium's clock on).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fakes.edge import EdgeFake
from fakes.podium import PodiumState, make_app, podium_faults
from fakes.toolkit import FaultPlan, FaultRule, FaultState, SyncASGITransport
from framework.config import parse_config
from framework.engine.engine import Engine
from framework.engine.report import RunReport
from framework.presets import deep_merge

PAIR = "store"
CLIENT_ID = "syncwright-test-app"
CLIENT_SECRET = "test-client-secret-value"
REFRESH_TOKEN = "test-refresh-token-value"


def edge_podium_config(
    tmp: Path, overrides: dict[str, Any] | None = None, podium: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The world's configuration: ``overrides`` over the pair, ``podium`` over its system."""
    pair: dict[str, Any] = {
        "preset": "edge-podium",
        "pos": "edge",
        "platform": "podium",
        "default_associate": "1",
        "flows": {"customer": {"fields": {"custom": {"map": {"CustomerKey1": "Ring size"}}}}},
    }
    system = {
        "connector": "podium",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "tier": "clientele_plus",
        "visibility_wait": 0.01,
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
            "podium": deep_merge(system, podium or {}),
        },
        "pairs": {PAIR: deep_merge(pair, overrides or {})},
    }


class PodiumWorld:
    """Edge, Podium and the engine; ``sync()`` is one EDT cycle and one engine run."""

    def __init__(
        self,
        tmp: Path,
        overrides: dict[str, Any] | None = None,
        podium: dict[str, Any] | None = None,
        *,
        tier: str = "clientele_plus",
        visibility_delay: float = 0.0,
        transport: Any = None,
    ):
        self.tmp = tmp
        self.edge = EdgeFake(tmp / "edt")
        self.pd = PodiumState(
            tier=tier,  # type: ignore[arg-type]
            visibility_delay=visibility_delay,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            refresh_token=REFRESH_TOKEN,
        )
        self.faults: FaultState = podium_faults()
        self.app = make_app(self.pd, self.faults)
        self.transport = (transport or (lambda t: t))(SyncASGITransport(self.app))
        self.config, hooks = parse_config(
            edge_podium_config(tmp, overrides, {"tier": tier, **(podium or {})}),
            source="test.toml",
            base_dir=tmp,
        )
        self.engine = Engine(self.config, hooks, transports={"podium": self.transport})
        self.reports: list[RunReport] = []

    # -- running ----------------------------------------------------------------------------

    def sync(self) -> RunReport:
        """One EDT cycle and one engine run."""
        self.edge.run_cycle()
        report = self.engine.run_pair(PAIR)
        self.reports.append(report)
        return report

    def settle(self, runs: int = 3) -> RunReport:
        """Several syncs: enough for Edge imports and Podium's queue to land and be read."""
        report = self.sync()
        for _ in range(runs - 1):
            self.later(self.pd.visibility_delay)
            report = self.sync()
        return report

    def later(self, seconds: float) -> None:
        """Let Podium's clock run on (queued writes take effect, tokens age)."""
        self.pd.clock.offset += dt.timedelta(seconds=seconds)

    def fail(self, *rules: FaultRule) -> None:
        """Inject faults into the fake Podium (its rate limit stays)."""
        self.faults.configure(FaultPlan(rules=list(rules), rate_limit=self.faults.plan.rate_limit))

    # -- looking ----------------------------------------------------------------------------

    def contacts(self) -> list[dict[str, Any]]:
        """Live Podium contacts as the API shows them (queued writes that are due applied)."""
        self.pd.settle()
        return [self.pd.public(r) for r in self.pd.contacts.live()]

    def contact_by_email(self, email: str) -> dict[str, Any]:
        """The one live contact with this e-mail."""
        found = [c for c in self.contacts() if email.lower() in (e.lower() for e in c["emails"])]
        assert len(found) == 1, f"{len(found)} contacts with {email}"
        return found[0]

    def contact_of(self, edge_key: str) -> dict[str, Any]:
        """The Podium contact linked to an Edge customer."""
        link = self.link_of("customer", "pos", edge_key)
        assert link is not None, f"{edge_key} is not linked"
        assert not link.pending_on("platform"), f"{edge_key} has no Podium uid yet"
        self.pd.settle()
        return self.pd.public(self.pd.contacts.get(link.platform_id))

    def edge_key_of(self, uid: str) -> str:
        """The Edge customer linked to a contact."""
        link = self.link_of("customer", "platform", uid)
        assert link is not None, f"{uid} is not linked"
        assert not link.pending_on("pos"), f"{uid} has no Edge key yet"
        return str(link.pos_id)

    def link_of(self, entity: str, side: str, record_id: str) -> Any:
        """The link of one record (``None`` when unlinked)."""
        return self.engine.store.link_by_id(PAIR, entity, side, record_id)

    def edge_emails(self, key: str) -> list[str]:
        """An Edge customer's e-mail addresses, in order."""
        return [m["PairValue"]["EmailEmail"] for m in self.edge.customers[key]["Emails"]]

    def edge_phones(self, key: str) -> list[str]:
        """An Edge customer's phone numbers, as Edge holds them."""
        return [m["PairValue"]["PhonePhone"] for m in self.edge.customers[key]["Phones"]]

    def edge_by_name(self, first: str, last: str) -> list[dict[str, Any]]:
        """Edge customers with this name."""
        return [
            c
            for c in self.edge.customers.values()
            if c.get("CustomerFirstName") == first and c.get("CustomerLastName") == last
        ]

    def moves(self, entity: str | None = None) -> list[Any]:
        """Every move of every run so far (of ``entity``), in order."""
        return [
            m for r in self.reports for m in r.moves_sample if entity is None or m.entity == entity
        ]

    def problems(self) -> list[Any]:
        """Open problems."""
        return self.engine.store.problems()

    def close(self) -> None:
        """Close the engine."""
        self.engine.close()
