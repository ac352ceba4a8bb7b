"""Settling a group of writes at once (``framework/engine/settle_group.py``).

Writes that come back settle in groups, each kind of statement once a group. A group with
every outcome (created, updated, refused as a create and as an update, a conflict's write)
must leave the state exactly as settling the same writes one at a time does: the engine runs
the same story twice against the fakes, once cutting every group into parts of one write
(settling as before the groups), and the two stores are compared table by table.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from framework.engine import settle
from framework.engine.settle_group import disjoint
from framework.models import ApplyResult, WriteOp, WriteRequest
from framework.state.store import Intent, Link
from tests.harness import World

TOO_LONG = "Preferred stone for the engagement ring, as told at the first visit"  # > 64
BAD_MAP = {
    "flows": {
        "customer": {
            "fields": {"custom": {"map": {"CustomerKey1": "Ring size", "CustomerKey3": TOO_LONG}}}
        }
    }
}


def story(world: World) -> dict[str, str]:
    """Customers linked, then one run whose customer writes settle together."""
    keys = {
        name: world.edge.add_customer(name, "Group", emails=[("Home", f"{name}@example.com")])
        for name in ("updated", "refused", "conflict")
    }
    world.settle()
    keys["created"] = world.edge.add_customer("Created", "Group", emails=[("Home", "c@ex.com")])
    keys["nameless"] = world.edge.add_customer("", "", emails=[("Home", "nameless@ex.com")])
    world.edge.edit_customer(keys["updated"], CustomerKey1="7")
    world.edge.edit_customer(keys["refused"], CustomerKey3="Opal")  # its preference's name: 422
    world.edge.add_contact(keys["conflict"], "Emails", "Work", EmailEmail="c@edge.ex.com")
    world.edge.edit_customer(keys["conflict"], CustomerPrefEMail="Work")
    client = world.client_of(keys["conflict"])["id"]
    world.cb.update_client(client, {"email": "c@cb.ex.com"}, "as_12")
    report = world.settle()
    assert report.errors == []
    return keys


def tables(world: World) -> dict[str, Any]:
    """What the store holds, in a form two runs of the story can compare."""
    db = world.engine.store._db  # type: ignore[attr-defined]

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return sorted((tuple(r) for r in db.execute(sql).fetchall()), key=repr)

    return {
        "records": rows(
            "SELECT entity, side, id, link_key, link_id, deleted, data, latest FROM records"
        ),
        "links": rows("SELECT id, entity, pos_id, platform_id, link_key, status FROM links"),
        "keys": rows("SELECT entity, side, name, value, id FROM keys"),
        "journal": rows("SELECT entity, side, link_id FROM journal"),
        "problems": rows("SELECT entity, side, record_id, rule, reason, resolved_at FROM problems"),
        "moves": [tuple(r) for r in db.execute("SELECT * FROM moves ORDER BY rowid").fetchall()],
        "history": rows(
            "SELECT run_id, entity, link_id, pos_id, platform_id, action, field, old, new, "
            "source, toward, rule FROM history"
        ),
    }


@pytest.mark.rule("G-5", "G-6", "CB-3")
@pytest.mark.parametrize("in_flight", [1, 8])
def test_a_group_with_every_outcome_settles_each_write_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_flight: int
):
    """One write at a time to Clientbook, the customers' writes are one batch and settle as
    one group; with 8 in flight they settle as they come back (the order of the moves then
    is the order they came back in, so it is not compared)."""
    systems = {"clientbook": {"in_flight": in_flight}}
    world = World(tmp_path / "group", BAD_MAP, systems)
    keys = story(world)
    grouped = tables(world)
    world.close()

    # Each write settled alone: its link and record read, its state written, at once.
    monkeypatch.setattr(settle, "disjoint", lambda writes, links: 1)
    alone = World(tmp_path / "alone", BAD_MAP, systems)
    assert story(alone) == keys
    one_by_one = tables(alone)
    alone.close()

    if in_flight > 1:
        grouped["moves"].sort(key=repr)
        one_by_one["moves"].sort(key=repr)
    for table, found in grouped.items():
        assert found == one_by_one[table], f"{table} differ"
    # And what each outcome left, in the grouped run:
    links = {pos: platform for _, entity, pos, platform, _, _ in grouped["links"]}
    created = links[keys["created"]]
    assert not created.startswith("~"), "the created client's link names its real id"
    assert not any(r[2].startswith("~") for r in grouped["records"]), "no placeholder row left"
    assert ("customer", "platform", "email", "c@ex.com", created) in grouped["keys"]
    assert keys["nameless"] not in links, "a refused create is unlinked"
    parked = {(p[1], p[2]) for p in grouped["problems"] if p[5] is None}
    assert parked == {("pos", keys["nameless"]), ("platform", links[keys["refused"]])}
    assert grouped["journal"] == [], "every write settled or parked: none left journaled"
    made = (keys["created"] + "=" + created, "platform", "create")
    assert made in [m[2:5] for m in grouped["moves"]]


def _write(seq: int, link_id: int | None, op: WriteOp, target: str | None, made: str | None):
    intent = Intent(seq, "p", "customer", "platform", link_id, {}, None, None, 0)
    return (
        intent,
        WriteRequest(op=op, entity="customer", target_id=target, idempotency_key=f"k{seq}"),
        ApplyResult(id=made),
    )


def test_a_group_is_cut_before_a_write_touching_what_an_earlier_one_touched():
    links = {
        1: Link(1, "p", "customer", "10", "~a", None),
        2: Link(2, "p", "customer", "20", "200", None),
    }
    created = _write(1, 1, WriteOp.CREATE, None, "100")
    updated = _write(2, 2, WriteOp.UPDATE, "200", "200")
    assert disjoint([created, updated], links) == 2
    again = _write(3, 1, WriteOp.UPDATE, "100", "100")  # the created record, updated
    assert disjoint([created, updated, again], links) == 2
    unlinked = _write(4, None, WriteOp.UPDATE, "200", "200")  # another link's record
    assert disjoint([updated, unlinked], links) == 1


def test_a_created_records_link_takes_its_real_id_and_keeps_every_other_field():
    link = Link(7, "p", "customer", "001-00042", "~sw-p-customer-1", "K42", "ok")
    for side, field in (("pos", "pos_id"), ("platform", "platform_id")):
        assert settle.with_id(link, side, "cl_9") == dataclasses.replace(link, **{field: "cl_9"})
    # A field Link gains must be passed on by with_id too (it lists them): then update this.
    assert [f.name for f in dataclasses.fields(Link)] == [
        "id",
        "pair",
        "entity",
        "pos_id",
        "platform_id",
        "link_key",
        "status",
    ]
