"""Writing: create, update and delete round trips, and idempotence (G-4, G-5, G-6, G-7).

Each check writes through the facade's ``apply_change``, lets the system settle, and looks
at the result twice: as a user of the system sees it (the driver) and as the connector
reads it back (``fetch_changes``). What the connector reported as stored
(``ApplyResult.record``) must be what it reads back, or the engine would take its own
write for a new change (G-4). An entity the connector only writes (an Edge Activity entry,
a Clientbook product) is never read back, so it is looked at through the driver only,
and the record an update or a delete needs is one the connector created.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.checks import Needs, Variant, check
from conformance.checks.context import Ctx
from conformance.checks.target import Target
from conformance.probe import Probe
from conformance.samples import given_fields
from conformance.world import DEFAULT_ASSOCIATE
from framework.models import ApplyResult, Change, WriteOp, WriteRequest
from framework.models.base import CanonicalRecord


def _can(verb: str) -> Needs:
    def needs(target: Target, variant: Variant) -> str | None:
        if verb != "create" and not target.edits(variant.entity):
            return "the checks edit text fields the system does not hold"
        return (
            None
            if getattr(target.support(variant.entity), verb)
            else f"the connector does not {verb} it"
        )

    return needs


def _request(
    ctx: Ctx, op: WriteOp, key: str, record: CanonicalRecord | None = None, **more: object
) -> WriteRequest:
    # The engine names an associate with every write into a POS (G-8), never none.
    associate = DEFAULT_ASSOCIATE if ctx.target.info.side != "platform" else None
    return WriteRequest(
        entity=ctx.entity,
        op=op,
        record=record,
        associate=associate,
        idempotency_key=f"conformance-{ctx.case.check.name}-{key}",
        **more,
    )


def _create(ctx: Ctx, probe: Probe, tag: str, key: str = "1") -> WriteRequest:
    record = ctx.sample(tag, ctx.refs(probe))
    fields = list(type(record).model_fields)
    return _request(ctx, WriteOp.CREATE, key, record, fields=fields)


def _read_back(ctx: Ctx, probe: Probe, cursor: str | None, record_id: str) -> Change:
    change = probe.read(ctx.entity, cursor).latest().get(record_id)
    ctx.expect(change is not None, f"{record_id} was written but never read back")
    assert change is not None
    return change


def _reported_is_read(ctx: Ctx, result: ApplyResult, change: Change) -> None:
    if result.record is not None:
        fields = ctx.target.fields(ctx.entity)
        ctx.expect_same(
            result.record, change.record, "the record reported as stored vs read back", fields
        )


@dataclass
class Existing:
    """A record on the system before a write: its id, its content, how to address it."""

    id: str
    record: CanonicalRecord
    target_id: str | None
    link_key: str | None
    cursor: str | None


def _existing(ctx: Ctx, probe: Probe, tag: str) -> Existing:
    """A record to update or delete.

    Made by a user and read; or, for an entity the connector only writes, created through
    the connector as the engine would have.
    """
    driver = probe.driver
    if ctx.target.reads(ctx.entity):
        record_id = ctx.add(probe, tag)
        driver.settle()
        start = probe.read(ctx.entity)
        current = start.latest()[record_id].record
        assert current is not None
        return Existing(record_id, current, record_id, None, start.cursor)
    before = set(driver.ids(ctx.entity))
    request = _create(ctx, probe, tag, f"{tag}-create")
    result = probe.apply(request)
    driver.settle()
    new = sorted(set(driver.ids(ctx.entity)) - before)
    ctx.expect(len(new) == 1, f"one create made {len(new)} records: {new}")
    assert request.record is not None
    return Existing(new[0], request.record, result.id, result.link_key, None)


@check("G-4", "G-5", needs=_can("create"))
def check_create_round_trip(ctx: Ctx) -> None:
    """A create lands once, as asked, and reads back as the connector reported it."""
    probe = ctx.probe()
    driver = probe.driver
    reads = ctx.target.reads(ctx.entity)
    start = probe.read(ctx.entity) if reads else None
    before = set(driver.ids(ctx.entity))
    request = _create(ctx, probe, "created")
    result = probe.apply(request)
    ctx.expect(result.id is not None or result.pending, "a create returned neither id nor pending")
    driver.settle()
    new = sorted(set(driver.ids(ctx.entity)) - before)
    ctx.expect(len(new) == 1, f"one create made {len(new)} records: {new}")
    ctx.expect(result.id in (None, new[0]), f"reported id {result.id}, the system made {new[0]}")
    assert request.record is not None
    # fields the system fills with its own values on a create are not compared (claimed)
    sent = [
        f
        for f in given_fields(ctx.entity, request.record)
        if ctx.holds(f) and f not in ctx.claims.generated
    ]
    ctx.expect_same(request.record, driver.get(ctx.entity, new[0]), "the created record", sent)
    if start is None:
        return  # never read back: nothing for the engine to recognise (G-4)
    change = _read_back(ctx, probe, start.cursor, new[0])
    ctx.expect_same(request.record, change.record, "the created record as read back", sent)
    _reported_is_read(ctx, result, change)


@check("G-4", "G-5", needs=_can("update"))
def check_update_round_trip(ctx: Ctx) -> None:
    """An update of one field changes that field only, and reads back as reported."""
    probe = ctx.probe()
    driver = probe.driver
    field = ctx.edits[0]
    existing = _existing(ctx, probe, "updated")
    before = driver.get(ctx.entity, existing.id)
    wanted = existing.record.model_copy(update={field: "Updated"})
    result = probe.apply(
        _request(
            ctx,
            WriteOp.UPDATE,
            "1",
            wanted,
            target_id=existing.target_id,
            link_key=existing.link_key,
            fields=[field],
        )
    )
    driver.settle()
    after = driver.get(ctx.entity, existing.id)
    ctx.expect_same(wanted, after, "the updated record on the system", [field])
    others = [f for f in ctx.target.fields(ctx.entity) if f != field]
    ctx.expect_same(before, after, "fields the update did not name", others)
    if not ctx.target.reads(ctx.entity):
        return
    change = _read_back(ctx, probe, existing.cursor, existing.id)
    ctx.expect_same(wanted, change.record, "the updated record as read back", [field])
    _reported_is_read(ctx, result, change)


@check("G-7", needs=_can("delete"))
def check_delete_round_trip(ctx: Ctx) -> None:
    """A delete removes the record, and is read back as a delete."""
    probe = ctx.probe()
    driver = probe.driver
    existing = _existing(ctx, probe, "deleted")
    probe.apply(
        _request(ctx, WriteOp.DELETE, "1", target_id=existing.target_id, link_key=existing.link_key)
    )
    driver.settle()
    ctx.expect(driver.get(ctx.entity, existing.id) is None, f"{existing.id} is still there")
    if not ctx.target.reads(ctx.entity) or not ctx.claims.deletes_reported:
        return
    change = _read_back(ctx, probe, existing.cursor, existing.id)
    ctx.expect(change.op.value == "delete", f"the deleted {existing.id} reads back as {change.op}")


@check("G-6", needs=_can("create"))
def check_idempotent_create(ctx: Ctx) -> None:
    """The same create applied twice (the second as a replay) leaves one record."""
    probe = ctx.probe()
    driver = probe.driver
    before = set(driver.ids(ctx.entity))
    request = _create(ctx, probe, "once", "same")
    first = probe.apply(request)
    second = probe.apply(request.model_copy(update={"replay": True}))
    driver.settle()
    new = sorted(set(driver.ids(ctx.entity)) - before)
    ctx.expect(len(new) == 1, f"the same create applied twice made {len(new)} records: {new}")
    if first.id is not None and second.id is not None:
        ctx.expect(first.id == second.id, f"the same create answered {first.id}, {second.id}")


@check("G-6", needs=_can("update"))
def check_idempotent_update(ctx: Ctx) -> None:
    """The same update applied twice leaves the record as applying it once does."""
    probe = ctx.probe()
    driver = probe.driver
    field = ctx.edits[0]
    existing = _existing(ctx, probe, "twice")
    ids = sorted(driver.ids(ctx.entity))
    wanted = existing.record.model_copy(update={field: "Twice"})
    request = _request(
        ctx,
        WriteOp.UPDATE,
        "same",
        wanted,
        target_id=existing.target_id,
        link_key=existing.link_key,
        fields=[field],
    )
    probe.apply(request)
    driver.settle()
    once = driver.get(ctx.entity, existing.id)
    probe.apply(request.model_copy(update={"replay": True}))
    driver.settle()
    ctx.expect(
        sorted(driver.ids(ctx.entity)) == ids, "applying an update twice changed the records"
    )
    ctx.expect_same(once, driver.get(ctx.entity, existing.id), "after the second apply")
    ctx.expect_same(wanted, driver.get(ctx.entity, existing.id), "the record", [field])
