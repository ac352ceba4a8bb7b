"""Property-based: random interleavings of edits on both sides and syncs (hypothesis).

A small synced store, then a random sequence of what store associates and Clientbook users
do (contact methods, preferences, acquisition, names, new customers on either side,
deletes) with syncs at random points. After the final syncs, every rule of the
edge-clientbook pair must hold, and one more sync must change nothing:

- CB-3: Edge never loses a contact method; every value Clientbook holds is on Edge; when
  Edge's change came last, Clientbook holds Edge's preferred value.
- CB-4: mapped custom fields and preferences agree.
- CB-5 and the names (create-only from Clientbook): Clientbook never overwrites Edge's
  acquisition or names; Edge's last change of them is on Clientbook.
- CB-2: every Clientbook client is on Edge, flagged, once (no duplicates either way).
- G-1: nothing flowed against its direction (the checks above, field by field).
- G-4 / G-6: a further sync writes nothing and bumps no version.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.harness import World

MAP = {"CustomerKey1": "Ring size", "CustomerKey2": "Metal"}
VALUES = ["5", "6.5", "7", "Gold", "Platinum"]
NAMES = ["Ada", "Bo", "Cy", "Zoë", "José"]
ACQ = ["Walk-in", "Referral", "Website"]

Op = tuple[Any, ...]
edge_ops = st.one_of(
    st.tuples(
        st.just("edge_custom"),
        st.integers(0, 99),
        st.sampled_from(list(MAP)),
        st.sampled_from(VALUES),
    ),
    st.tuples(st.just("edge_email"), st.integers(0, 99), st.booleans()),
    st.tuples(st.just("edge_phone"), st.integers(0, 99)),
    st.tuples(st.just("edge_email_edit"), st.integers(0, 99)),
    st.tuples(st.just("edge_email_remove"), st.integers(0, 99)),
    st.tuples(st.just("edge_name"), st.integers(0, 99), st.sampled_from(NAMES)),
    st.tuples(st.just("edge_acquisition"), st.integers(0, 99), st.sampled_from(ACQ)),
    st.tuples(st.just("edge_new"), st.sampled_from(NAMES), st.booleans()),
    st.tuples(st.just("edge_delete"), st.integers(0, 99)),
)
cb_ops = st.one_of(
    st.tuples(st.just("cb_email"), st.integers(0, 99), st.booleans()),
    st.tuples(st.just("cb_mobile"), st.integers(0, 99), st.booleans()),
    st.tuples(
        st.just("cb_pref"),
        st.integers(0, 99),
        st.sampled_from(list(MAP.values())),
        st.sampled_from([*VALUES, None]),
    ),
    st.tuples(st.just("cb_acquisition"), st.integers(0, 99), st.sampled_from(ACQ)),
    st.tuples(st.just("cb_name"), st.integers(0, 99), st.sampled_from(NAMES)),
    st.tuples(st.just("cb_new"), st.sampled_from(NAMES), st.sampled_from(ACQ), st.booleans()),
    st.tuples(st.just("cb_delete"), st.integers(0, 99)),
)
ops = st.lists(st.one_of(edge_ops, cb_ops, st.just(("sync",))), min_size=1, max_size=14)


@dataclass
class Model:
    """What the test expects, kept as the operations run."""

    n: int = 0
    step: int = 0
    # Edge customer key -> contact values added on Edge (must never go)
    edge_added: dict[str, set[str]] = field(default_factory=dict)
    # (record id, field) -> the sync at which its side was seen changed last (net change
    # since the sync before: what the three-way merge sees), and the value then
    last: dict[tuple[str, str], int] = field(default_factory=dict)
    seen: dict[tuple[str, str], Any] = field(default_factory=dict)
    syncs: int = 0
    edge_values: dict[tuple[str, str], Any] = field(default_factory=dict)  # Edge's own edits
    cb_history: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    deleted_edge: set[str] = field(default_factory=set)
    deleted_cb: set[str] = field(default_factory=set)

    def fresh(self) -> int:
        self.n += 1
        return self.n

    def observe(self, world: World, *, mark: bool = True) -> None:
        """At a sync, note which fields each side's users changed since the last one.

        Called before a sync (``mark``: a value that moved is a change the sync will see)
        and after it (only noting values: what the sync wrote is no user's change). On
        Edge only what the engine never writes to an existing customer is watched (the
        preferred e-mail, first name, acquisition): Edge's imports land cycles later.
        """
        self.syncs += mark
        now: dict[tuple[str, str], Any] = {}
        for key, e in world.edge.customers.items():
            now[(key, "emails")] = preferred_email(e)
            now[(key, "first_name")] = e.get("CustomerFirstName")
            now[(key, "acquisition")] = e.get("CustomerAcquisition")
        for c in world.cb.clients.live():
            for name in ("email", "first_name", "acquisition"):
                now[(c["id"], name)] = c.get(name)
        for field_, value in now.items():
            if mark and field_ in self.seen and self.seen[field_] != value:
                self.last[field_] = self.syncs
            self.seen[field_] = value


def pick(items: list[str], index: int) -> str | None:
    return items[index % len(items)] if items else None


def edge_keys(world: World, model: Model) -> list[str]:
    return sorted(k for k in world.edge.customers if k not in model.deleted_edge)


def cb_ids(world: World, model: Model) -> list[str]:
    return sorted(c["id"] for c in world.clients() if c["id"] not in model.deleted_cb)


def remember_cb(model: Model, client: dict[str, Any]) -> None:
    history = model.cb_history.setdefault(client["id"], {})
    for name in ("first_name", "last_name", "acquisition"):
        history.setdefault(name, []).append(client.get(name))


def run(world: World, model: Model, op: Op) -> None:
    model.step += 1
    kind = op[0]
    if kind == "sync":
        model.observe(world)
        world.sync()
        model.observe(world, mark=False)
        return
    if kind.startswith("edge_") and kind not in ("edge_new",):
        key = pick(edge_keys(world, model), op[1])
        if key is None:
            return
        if kind == "edge_custom":
            world.edge.edit_customer(key, **{op[2]: op[3]})
        elif kind == "edge_email":
            address = f"e{model.fresh()}@example.com"
            world.edge.add_contact(key, "Emails", "Work", EmailEmail=address, EmailSendPromo=False)
            if op[2]:
                keys = [m["Key"] for m in world.edge.customers[key]["Emails"]]
                world.edge.edit_customer(key, CustomerPrefEMail=keys[-1])
            model.edge_added.setdefault(key, set()).add(address)
        elif kind in ("edge_email_edit", "edge_email_remove"):
            methods = world.edge.customers[key]["Emails"]
            if not methods:
                return
            old = methods[-1]["PairValue"]["EmailEmail"]
            model.edge_added.get(key, set()).discard(old)
            if kind == "edge_email_remove":
                methods.pop()
            else:
                address = f"x{model.fresh()}@example.com"
                methods[-1]["PairValue"]["EmailEmail"] = address
                model.edge_added.setdefault(key, set()).add(address)
            world.edge.edit_customer(key)
        elif kind == "edge_phone":
            number = f"312555{model.fresh():04d}"
            world.edge.add_contact(key, "Phones", "Cell", PhonePhone=number, PhonePhoneExt="")
            model.edge_added.setdefault(key, set()).add("+1" + number)
        elif kind in ("edge_name", "edge_acquisition"):
            name, edge_name = (
                ("first_name", "CustomerFirstName")
                if kind == "edge_name"
                else ("acquisition", "CustomerAcquisition")
            )
            world.edge.edit_customer(key, **{edge_name: op[2]})
            model.edge_values[(key, name)] = op[2]
        elif kind == "edge_delete":
            world.edge.edit_customer(key, CustomerInactive=True)
            model.deleted_edge.add(key)
        return
    if kind == "edge_new":
        emails = [("Home", f"n{model.fresh()}@example.com")] if op[2] else []
        key = world.edge.add_customer(op[1], "New", emails=emails, CustomerKey1="7")
        model.edge_values[(key, "first_name")] = op[1]
        if emails:
            model.edge_added[key] = {emails[0][1]}
        return
    if kind == "cb_new":
        email = f"c{model.fresh()}@example.com" if op[3] else None
        client = world.cb.create_client(
            {"first_name": op[1], "last_name": "Cloud", "email": email, "acquisition": op[2]},
            "as_12",
        )
        remember_cb(model, client)
        return
    client_id = pick(cb_ids(world, model), op[1])
    if client_id is None:
        return
    if kind == "cb_email":
        changes: dict[str, Any] = {"email": f"c{model.fresh()}@example.com" if op[2] else None}
    elif kind == "cb_mobile":
        changes = {"mobile": f"+1608555{model.fresh():04d}" if op[2] else None}
    elif kind == "cb_pref":
        changes = {"preferences": [{"name": op[2], "value": op[3]}]}
    elif kind == "cb_acquisition":
        changes = {"acquisition": op[2]}
    elif kind == "cb_name":
        changes = {"first_name": op[2]}
    else:
        world.cb.clients.delete(client_id, "as_12")
        model.deleted_cb.add(client_id)
        return
    client = world.cb.update_client(client_id, changes, "as_12")
    remember_cb(model, client)


def linked_pairs(world: World) -> list[tuple[str, str]]:
    db = world.engine.store
    pairs = []
    for key in world.edge.customers:
        link = db.link_by_id("store", "customer", "pos", key)
        if link is not None and link.status == "ok":
            pairs.append((key, link.platform_id))
    return pairs


def emails_of(edge: dict[str, Any]) -> list[str]:
    return [m["PairValue"]["EmailEmail"].lower() for m in edge["Emails"]]


def preferred_email(edge: dict[str, Any]) -> str | None:
    for m in edge["Emails"]:
        if m["Key"] == edge.get("CustomerPrefEMail"):
            return str(m["PairValue"]["EmailEmail"]).lower()
    return None


def check_rules(world: World, model: Model) -> None:
    live = {c["id"]: c for c in world.clients()}
    edge = {k: v for k, v in world.edge.customers.items() if not v.get("CustomerInactive")}
    assert world.problems() == [], [p.reason for p in world.problems()]
    # CB-3: Edge never loses what was added there.
    for key, values in model.edge_added.items():
        held = set(emails_of(world.edge.customers[key]))
        held |= {
            "+1" + str(m["PairValue"]["PhonePhone"]) for m in world.edge.customers[key]["Phones"]
        }
        assert values <= held, f"{key} lost {values - held}"
    # CB-2: every client is on Edge once, flagged; no client or customer linked twice.
    web_ids = [v["CustomerTransfer"]["WebTransferWebID"] for v in edge.values()]
    web_ids = [w for w in web_ids if w]
    assert len(web_ids) == len(set(web_ids)), "a client came down twice"
    pairs = linked_pairs(world)
    on_edge = {c for _, c in pairs}
    for client_id in live:
        link = world.engine.store.link_by_id("store", "customer", "platform", client_id)
        assert link is not None, f"client {client_id} is not on Edge (CB-2)"
        if link.status == "ok":
            assert client_id in on_edge
    for key in edge:
        link = world.engine.store.link_by_id("store", "customer", "pos", key)
        assert link is not None, f"Edge customer {key} was not uploaded (CB-1: all)"
    for key, client_id in pairs:
        if key not in edge or client_id not in live:
            continue
        e, c = edge[key], live[client_id]
        # CB-3: every value Clientbook holds is on Edge; Edge's last change went up.
        if c.get("email"):
            assert c["email"].lower() in emails_of(e), f"{key}: CB e-mail not on Edge"
        if c.get("mobile"):
            phones = {"+1" + str(m["PairValue"]["PhonePhone"]) for m in e["Phones"]}
            phones |= {str(m["PairValue"]["PhonePhone"]) for m in e["Phones"]}
            assert c["mobile"] in phones, f"{key}: CB mobile not on Edge"
        if model.last.get((key, "emails"), 0) >= model.last.get((client_id, "email"), 0):
            assert (c.get("email") or "").lower() == (preferred_email(e) or ""), f"{key}: CB-3"
        # CB-4: mapped fields agree.
        prefs = {p["name"]: p["value"] for p in c["preferences"]}
        for edge_key, pref in MAP.items():
            assert (e.get(edge_key) or None) == prefs.get(pref), f"{key}: CB-4 {edge_key}"
        # CB-5 and names: Clientbook never overwrites Edge; Edge's last change is on CB.
        for name, edge_name in (
            ("acquisition", "CustomerAcquisition"),
            ("first_name", "CustomerFirstName"),
        ):
            mine = model.edge_values.get((key, name))
            if mine is not None:
                assert e.get(edge_name) == mine, f"{key}: {name} overwritten from Clientbook"
                if model.last.get((key, name), 0) >= model.last.get((client_id, name), 0):
                    assert c.get(name) == mine, f"{key}: Edge's {name} did not go up"
            elif client_id in model.cb_history:  # new from Clientbook: taken once, at creation
                history = model.cb_history[client_id].get(name, [])
                assert (e.get(edge_name) or None) in [*history, None], f"{key}: {name}"


def write_counts(report: Any) -> dict[str, int]:
    return {
        k: v for k, v in report.counts.items() if k.split(".")[1] in ("create", "update", "delete")
    }


@pytest.mark.slow  # many generated interleavings
@pytest.mark.rule("CB-1", "CB-2", "CB-3", "CB-4", "CB-5", "G-1", "G-4", "G-6")
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@example(  # an associate's edits while a CB-3 import is pending (an erasure found here)
    [("cb_email", 2, True), ("sync",), ("edge_email_remove", 0), ("edge_email", 0, False)]
)
@given(ops)
def test_any_interleaving_of_edits_and_syncs_ends_with_every_rule_holding(sequence: list[Op]):
    with tempfile.TemporaryDirectory(prefix="sw-prop-") as tmp:
        world = World(Path(tmp))
        try:
            model = Model()
            for i in range(3):
                key = world.edge.add_customer(
                    NAMES[i], "Edge", emails=[("Home", f"start{i}@example.com")], CustomerKey1="6"
                )
                model.edge_values[(key, "first_name")] = NAMES[i]
                model.edge_added[key] = {f"start{i}@example.com"}
            for i in range(2):
                remember_cb(
                    model,
                    world.cb.create_client(
                        {
                            "first_name": NAMES[i + 2],
                            "last_name": "Cloud",
                            "email": f"cloud{i}@example.com",
                        },
                        "as_12",
                    ),
                )
            world.settle()
            model.observe(world, mark=False)
            for op in sequence:
                run(world, model, op)
            model.observe(world)
            world.settle(runs=4)
            check_rules(world, model)
            versions = {c["id"]: c["version"] for c in world.clients()}
            edge_before = copy.deepcopy(world.edge.customers)
            calm = world.settle(runs=2)
            assert write_counts(calm) == {}, "a further sync wrote something"
            assert {c["id"]: c["version"] for c in world.clients()} == versions
            assert world.edge.customers == edge_before, "a further sync changed Edge"
        finally:
            world.close()
