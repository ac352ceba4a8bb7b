"""Writing: create, update and delete round trips, and idempotence (G-4, G-5, G-6, G-7).

Each check writes through the facade's ``apply_change``, lets the system settle, and looks
at the result twice: as a user of the system sees it (the driver) and as the connector
reads it back (``fetch_changes``). What the connector reported as stored
(``ApplyResult.record``) must be what it reads back, or the engine would take its own
write for a new change (G-4).
"""

from __future__ import annotations

from conformance.checks import Needs, Variant, check
from conformance.checks.context import Ctx
from conformance.checks.target import Target, sees_deletes
from conformance.probe import Probe
from framework.models import ApplyResult, Change, WriteOp, WriteRequest
from framework.models.base import CanonicalRecord


def _can(verb: str) -> Needs:
    def needs(target: Target, variant: Variant) -> str | None:
        support = target.support(variant.entity)
        if not support.read:
            return "the connector does not read it, so a write cannot be read back"
        if not getattr(support, verb):
            return f"the connector does not {verb} it"
        return sees_deletes(target, variant) if verb == "delete" else None

    return needs


def _request(
    ctx: Ctx, op: WriteOp, key: str, record: CanonicalRecord | None = None, **more: object
) -> WriteRequest:
    return WriteRequest(
        entity=ctx.entity,
        op=op,
        record=record,
        idempotency_key=f"conformance-{ctx.case.check.name}-{key}",
        **more,
    )


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


@check("G-4", "G-5", needs=_can("create"))
def check_create_round_trip(ctx: Ctx) -> None:
    """A create lands once, as asked, and reads back as the connector reported it."""
    probe = ctx.probe()
    driver = probe.driver
    start = probe.read(ctx.entity)
    before = set(driver.ids(ctx.entity))
    record = ctx.sample("created")
    result = probe.apply(
        _request(ctx, WriteOp.CREATE, "1", record, fields=list(type(record).model_fields))
    )
    ctx.expect(result.id is not None or result.pending, "a create returned neither id nor pending")
    driver.settle()
    new = sorted(set(driver.ids(ctx.entity)) - before)
    ctx.expect(len(new) == 1, f"one create made {len(new)} records: {new}")
    ctx.expect(result.id in (None, new[0]), f"reported id {result.id}, the system made {new[0]}")
    ctx.expect_same(record, driver.get(ctx.entity, new[0]), "the created record on the system")
    change = _read_back(ctx, probe, start.cursor, new[0])
    ctx.expect_same(record, change.record, "the created record as read back")
    _reported_is_read(ctx, result, change)


@check("G-4", "G-5", needs=_can("update"))
def check_update_round_trip(ctx: Ctx) -> None:
    """An update of one field changes that field only, and reads back as reported."""
    probe = ctx.probe()
    driver = probe.driver
    record_id = driver.add(ctx.entity, ctx.sample("updated"))
    driver.settle()
    start = probe.read(ctx.entity)
    current = start.latest()[record_id].record
    assert current is not None
    before = driver.get(ctx.entity, record_id)
    wanted = current.model_copy(update={"last_name": "Updated"})
    result = probe.apply(
        _request(ctx, WriteOp.UPDATE, "1", wanted, target_id=record_id, fields=["last_name"])
    )
    driver.settle()
    after = driver.get(ctx.entity, record_id)
    ctx.expect_same(wanted, after, "the updated record on the system", ["last_name"])
    others = [f for f in ctx.target.fields(ctx.entity) if f != "last_name"]
    ctx.expect_same(before, after, "fields the update did not name", others)
    change = _read_back(ctx, probe, start.cursor, record_id)
    ctx.expect_same(wanted, change.record, "the updated record as read back", ["last_name"])
    _reported_is_read(ctx, result, change)


@check("G-7", needs=_can("delete"))
def check_delete_round_trip(ctx: Ctx) -> None:
    """A delete removes the record, and is read back as a delete."""
    probe = ctx.probe()
    driver = probe.driver
    record_id = driver.add(ctx.entity, ctx.sample("deleted"))
    driver.settle()
    start = probe.read(ctx.entity)
    probe.apply(_request(ctx, WriteOp.DELETE, "1", target_id=record_id))
    driver.settle()
    ctx.expect(driver.get(ctx.entity, record_id) is None, f"{record_id} is still there")
    change = _read_back(ctx, probe, start.cursor, record_id)
    ctx.expect(change.op.value == "delete", f"the deleted {record_id} reads back as {change.op}")


@check("G-6", needs=_can("create"))
def check_idempotent_create(ctx: Ctx) -> None:
    """The same create applied twice (the second as a replay) leaves one record."""
    probe = ctx.probe()
    driver = probe.driver
    before = set(driver.ids(ctx.entity))
    record = ctx.sample("once")
    request = _request(ctx, WriteOp.CREATE, "same", record, fields=list(type(record).model_fields))
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
    record_id = driver.add(ctx.entity, ctx.sample("twice"))
    driver.settle()
    current = probe.read(ctx.entity).latest()[record_id].record
    assert current is not None
    ids = sorted(driver.ids(ctx.entity))
    wanted = current.model_copy(update={"last_name": "Twice"})
    request = _request(
        ctx, WriteOp.UPDATE, "same", wanted, target_id=record_id, fields=["last_name"]
    )
    probe.apply(request)
    driver.settle()
    once = driver.get(ctx.entity, record_id)
    probe.apply(request.model_copy(update={"replay": True}))
    driver.settle()
    ctx.expect(
        sorted(driver.ids(ctx.entity)) == ids, "applying an update twice changed the records"
    )
    ctx.expect_same(once, driver.get(ctx.entity, record_id), "after the second apply")
    ctx.expect_same(wanted, driver.get(ctx.entity, record_id), "the record", ["last_name"])
