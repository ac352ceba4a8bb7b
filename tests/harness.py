"""A test world: the fake Edge and the fake Clientbook, the real engine between them.

Clientbook is served in-process (the engine's HTTP client gets the fake's ASGI app as its
transport), Edge through EDT files in a temporary folder; nothing in the engine or the
connectors knows it is a test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake
from fakes.toolkit import BackgroundServer, FaultPlan, FaultRule, FaultState, SyncASGITransport
from framework.config import parse_config
from framework.engine.engine import Engine
from framework.engine.report import RunReport
from framework.presets import deep_merge

API_KEY = "test-clientbook-key"


def edge_clientbook_config(
    tmp: Path,
    overrides: dict[str, Any] | None = None,
    systems: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The configuration of the test world: ``overrides`` laid over the pair, ``systems``
    over the systems, ``settings`` over the whole of it."""
    pair: dict[str, Any] = {
        "preset": "edge-clientbook",
        "pos": "edge",
        "platform": "clientbook",
        "default_associate": "1",
        "flows": {
            "customer": {
                "fields": {
                    "custom": {"map": {"CustomerKey1": "Ring size", "CustomerKey2": "Metal"}}
                }
            }
        },
    }
    base = {
        "state": {"path": str(tmp / "state.db")},
        "engine": {"retry_attempts": 3, "retry_initial_wait": 0.01, "retry_max_wait": 0.05},
        "systems": deep_merge(_systems(tmp), systems or {}),
        "pairs": {"store": deep_merge(pair, overrides or {})},
    }
    return deep_merge(base, settings or {})


def served_upload(
    tmp: Path, app: Any, customers: int, wishes: int, notes: bool = False
) -> RunReport:
    """One run uploading Edge customers with ``wishes`` wishes each (and a note each) to the
    Clientbook ``app`` served over HTTP on loopback, 8 writes in flight."""
    server = BackgroundServer(app).start()
    try:
        edge = EdgeFake(tmp / "edt")
        for n in range(customers):
            key = edge.add_customer("Wish", f"Person{n:02d}", emails=[("Home", f"w{n}@ex.com")])
            for w in range(wishes):
                edge.add_wish(key, f"Something {w}")
            if notes:
                edge.add_note(key, f"Asked about rings ({n})")
        edge.run_cycle()
        systems = {"clientbook": {"base_url": server.url, "in_flight": 8}}
        config, hooks = parse_config(
            edge_clientbook_config(tmp, systems=systems), source="t.toml", base_dir=tmp
        )
        engine = Engine(config, hooks)
        try:
            return engine.run_pair("store")
        finally:
            engine.close()
    finally:
        server.stop()


def _systems(tmp: Path) -> dict[str, Any]:
    (tmp / "edt").mkdir(parents=True, exist_ok=True)  # syncwright never makes Edge's folder
    return {
        "edge": {
            "connector": "edge",
            "folder": str(tmp / "edt"),
            "store_license_id": "1001",
            "settle_seconds": 0,
        },
        "clientbook": {
            "connector": "clientbook",
            "base_url": "http://clientbook.test",
            "api_key": API_KEY,
        },
    }


class World:
    """Edge, Clientbook and the engine; ``sync()`` is one EDT cycle and one engine run."""

    def __init__(
        self,
        tmp: Path,
        overrides: dict[str, Any] | None = None,
        systems: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
    ):
        self.tmp = tmp
        self.edge = EdgeFake(tmp / "edt")
        self.cb = ClientbookState(api_key=API_KEY)
        self.cb.add_associate("as_12", "Maria Lopez", "12")
        self.cb.add_associate("as_77", "Sam Carter", None)
        self.faults = FaultState()
        self.app = make_app(self.cb, self.faults)
        self.engine = self._engine(overrides, systems, settings)
        self.reports: list[RunReport] = []

    def _engine(
        self,
        overrides: dict[str, Any] | None,
        systems: dict[str, Any] | None,
        settings: dict[str, Any] | None,
    ) -> Engine:
        config, hooks = parse_config(
            edge_clientbook_config(self.tmp, overrides, systems, settings),
            source="test.toml",
            base_dir=self.tmp,
        )
        return Engine(config, hooks, transports={"clientbook": SyncASGITransport(self.app)})

    def restart(
        self,
        overrides: dict[str, Any] | None = None,
        systems: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        """A new engine on the same state and fakes, with a changed configuration."""
        self.engine.close()
        self.engine = self._engine(overrides, systems, settings)

    # -- running ----------------------------------------------------------------------------

    def sync(self) -> RunReport:
        """One EDT cycle (imports land, changes export) and one engine run."""
        self.edge.run_cycle()
        report = self.engine.run_pair("store")
        self.reports.append(report)
        return report

    def settle(self, runs: int = 3) -> RunReport:
        """Several syncs: enough for Edge imports to land and be read back."""
        report = self.sync()
        for _ in range(runs - 1):
            report = self.sync()
        return report

    def fail(self, *rules: FaultRule) -> None:
        """Inject faults into the fake Clientbook."""
        self.faults.configure(FaultPlan(rules=list(rules)))

    # -- looking -------------------------------------------------------------------------------

    def clients(self) -> list[dict[str, Any]]:
        """Live Clientbook clients."""
        return list(self.cb.clients.live())

    def client_by_email(self, email: str) -> dict[str, Any]:
        """The one live client with this e-mail."""
        found = [c for c in self.clients() if (c.get("email") or "").lower() == email.lower()]
        assert len(found) == 1, f"{len(found)} clients with {email}"
        return found[0]

    def client_of(self, edge_key: str) -> dict[str, Any]:
        """The Clientbook client linked to an Edge customer."""
        link = self.engine.store.link_by_id("store", "customer", "pos", edge_key)
        assert link is not None, f"{edge_key} is not linked"
        return self.cb.clients.get(link.platform_id)

    def edge_key_of(self, client_id: str) -> str:
        """The Edge customer linked to a client."""
        link = self.engine.store.link_by_id("store", "customer", "platform", client_id)
        assert link is not None, f"{client_id} is not linked"
        assert not link.pending_on("pos"), f"{client_id} has no Edge key yet"
        return link.pos_id

    def edge_emails(self, key: str) -> list[str]:
        """An Edge customer's e-mail addresses, in order."""
        return [m["PairValue"]["EmailEmail"] for m in self.edge.customers[key]["Emails"]]

    def edge_by_name(self, first: str, last: str) -> list[dict[str, Any]]:
        """Edge customers with this name."""
        return [
            c
            for c in self.edge.customers.values()
            if c.get("CustomerFirstName") == first and c.get("CustomerLastName") == last
        ]

    def link_of(self, entity: str, side: str, record_id: str) -> Any:
        """The link of one record (``None`` when unlinked)."""
        return self.engine.store.link_by_id("store", entity, side, record_id)

    def platform_id(self, entity: str, edge_key: str) -> str:
        """The Clientbook id of the record linked to an Edge record."""
        link = self.link_of(entity, "pos", edge_key)
        assert link is not None, f"{entity} {edge_key} is not linked"
        return str(link.platform_id)

    def collection_items(self, client_id: str, name: str = "Edge") -> list[dict[str, Any]]:
        """The live items of a client's collections called ``name``."""
        return [
            item
            for c in self.cb.collections_of(client_id, name)
            for item in self.cb.items_of(c["id"])
        ]

    def notes_of(self, client_id: str) -> list[dict[str, Any]]:
        """A client's live notes in recent activity."""
        return [
            a
            for a in self.cb.activity.live()
            if a["client_id"] == client_id and a["type"] == "note"
        ]

    def purchases_of(self, client_id: str) -> list[dict[str, Any]]:
        """A client's live purchases."""
        return [p for p in self.cb.purchases.live() if p["client_id"] == client_id]

    def moves(self, entity: str | None = None) -> list[Any]:
        """Every move of every run so far (of ``entity``), in order."""
        return [
            m for r in self.reports for m in r.moves_sample if entity is None or m.entity == entity
        ]

    def versions(self) -> dict[str, int]:
        """The version of every record in the fake Clientbook (to prove nothing was written)."""
        snapshot = self.cb.snapshot()
        return {
            f"{kind}:{r['id']}": r["version"]
            for kind, records in snapshot.items()
            if kind not in ("associates", "sms")
            for r in records
        }

    def problems(self) -> list[Any]:
        """Open problems."""
        return self.engine.store.problems()

    def close(self) -> None:
        """Close the engine."""
        self.engine.close()
