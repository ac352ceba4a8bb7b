"""Reading: full fetch, paging, cursor resumption, boundary records, time zones, deletes (G-2).

Each check calls the connector's ``fetch_changes`` through the facade against a fresh fake
whose records its driver made, and compares what was read with what is there.
"""

from __future__ import annotations

from conformance.checks import Variant, check
from conformance.checks.context import Ctx
from conformance.checks.target import Target
from conformance.probe import Probe, Read

ZONES = ("Pacific/Kiritimati", "America/St_Johns")  # +14:00 and -03:30 / -02:30


def _reads(target: Target, variant: Variant) -> str | None:
    return None if target.support(variant.entity).read else "the connector does not read it"


@check("G-2", needs=_reads)
def check_full_fetch(ctx: Ctx) -> None:
    """A read from no cursor returns every record, each readable and as the system holds it."""
    probe = ctx.probe()
    added = [ctx.add(probe, f"full-{i}") for i in range(5)]
    probe.driver.settle()
    read = probe.read(ctx.entity)
    missing = sorted(set(added) - set(read.ids()))
    ctx.expect(not missing, f"a full read missed {missing}")
    broken = [f"{c.id}: {c.problem}" for c in read.changes if c.problem]
    ctx.expect(not broken, f"records came back unreadable: {broken}")
    latest = read.latest()
    for record_id in added:
        held = probe.driver.get(ctx.entity, record_id)
        ctx.expect_same(held, latest[record_id].record, f"record {record_id} as read")


@check("G-2", needs=_reads)
def check_paging(ctx: Ctx) -> None:
    """Small pages: none larger than asked, every record read, ``more`` until the end."""
    probe = ctx.probe()
    added = [ctx.add(probe, f"page-{i}") for i in range(7)]
    probe.driver.settle()
    read = probe.read(ctx.entity, limit=3)
    sizes = [len(p.changes) for p in read.pages]
    ctx.expect(all(n <= 3 for n in sizes), f"asked for pages of 3, got {sizes}")
    ctx.expect(len(read.pages) >= 3, f"7 records in pages of 3 came in {len(read.pages)} pages")
    missing = sorted(set(added) - set(read.ids()))
    ctx.expect(not missing, f"paging lost {missing} (page sizes {sizes})")


def _edited(ctx: Ctx, probe: Probe) -> str:
    """The field the check edits; stop when the system's users never edit such records."""
    ctx.able(probe.driver, "edit")
    return ctx.edits[0]


def _increment(ctx: Ctx, probe: Probe, tag: str) -> None:
    """Second read from the first read's cursor: the changes since, and only those.

    A system without a change feed (``feed = "full"``) answers every read with every
    record, as ``fetch_changes`` allows; the changes must still be there.
    """
    driver = probe.driver
    field = _edited(ctx, probe)
    ids = [ctx.add(probe, f"{tag}-{i}") for i in range(4)]
    driver.settle()
    first = probe.read(ctx.entity)
    ctx.expect(set(ids) <= set(first.ids()), f"the first read missed records ({tag})")
    edited = ids[1]
    driver.edit(ctx.entity, edited, {field: "Changed"})
    added = ctx.add(probe, f"{tag}-new")
    driver.settle()
    second = probe.read(ctx.entity, first.cursor)
    got = second.latest()
    for record_id in (edited, added):
        ctx.expect(record_id in got, f"a read from the cursor missed change {record_id} ({tag})")
    ctx.expect_same(driver.get(ctx.entity, edited), got[edited].record, f"edited {edited} ({tag})")
    if ctx.claims.feed == "full":
        return
    again = set(second.ids()) - {edited, added} - _boundary(first)
    ctx.expect(not again, f"a read from the cursor returned unchanged records {sorted(again)}")


def _boundary(read: Read) -> set[str]:
    """Records stamped at the very instant a read ended: a connector may return them again."""
    stamps = [c.updated_at for c in read.changes if c.updated_at is not None]
    if not stamps:
        return set()
    last = max(stamps)
    return {c.id for c in read.changes if c.updated_at == last}


@check("G-2", needs=_reads)
def check_cursor_increment(ctx: Ctx) -> None:
    """A read from the last read's cursor yields the changes made since, and no others."""
    _increment(ctx, ctx.probe(), "inc")


@check("G-2", "G-5", needs=_reads)
def check_cursor_intermediate(ctx: Ctx) -> None:
    """Resuming from a cursor taken between pages loses nothing, changes made since included."""
    probe = ctx.probe()
    driver = probe.driver
    field = _edited(ctx, probe)
    ids = [ctx.add(probe, f"mid-{i}") for i in range(5)]
    driver.settle()
    first = probe.page(ctx.entity, None, 2)
    ctx.expect(first.more, "five records in pages of two ended after the first page")
    delivered = [c.id for c in first.changes]
    ctx.expect(delivered, "the first page of five records was empty")
    driver.edit(ctx.entity, delivered[0], {field: "Again"})
    added = ctx.add(probe, "mid-new")
    driver.settle()
    rest = probe.read(ctx.entity, first.cursor, limit=2)
    seen = set(delivered) | set(rest.ids())
    missing = sorted({*ids, added} - seen)
    ctx.expect(not missing, f"resuming from a page's cursor lost {missing}")
    latest = rest.latest()
    if ctx.claims.feed != "incremental" and delivered[0] not in latest:
        # A read resumed mid-way goes on through its query (or by key, with no feed): a
        # change to a record it has passed must come with the next read (the next run).
        latest = probe.read(ctx.entity, rest.cursor, limit=2).latest()
    ctx.expect(delivered[0] in latest, f"the change to {delivered[0]} after its page was lost")
    ctx.expect_same(
        driver.get(ctx.entity, delivered[0]), latest[delivered[0]].record, "the changed record"
    )


@check("G-2", "G-5", needs=_reads)
def check_cursor_boundary(ctx: Ctx) -> None:
    """Records changed at exactly the instant a cursor was taken at are not skipped."""
    probe = ctx.probe()
    driver = probe.driver
    instant = driver.same_instant()
    if instant is None:
        ctx.not_applicable("the system's driver cannot stamp two changes with one instant")
        return
    field = _edited(ctx, probe)
    with instant:
        first_id = ctx.add(probe, "edge-a")
        driver.settle()
        first = probe.read(ctx.entity)
        second_id = ctx.add(probe, "edge-b")
        driver.edit(ctx.entity, first_id, {field: "SameInstant"})
        driver.settle()
        second = probe.read(ctx.entity, first.cursor)
    got = second.latest()
    ctx.expect(second_id in got, f"{second_id}, made at the cursor's instant, was skipped")
    ctx.expect(first_id in got, f"{first_id}, changed again at the cursor's instant, was skipped")
    ctx.expect_same(driver.get(ctx.entity, first_id), got[first_id].record, "the changed record")


@check("G-2", needs=_reads)
def check_time_zones(ctx: Ctx) -> None:
    """Change times carry their zone; cursors resume right when the system answers in any zone."""
    probe = ctx.probe()
    ctx.add(probe, "tz")
    probe.driver.settle()
    read = probe.read(ctx.entity)
    naive = [c.id for c in read.changes if c.updated_at is not None and c.updated_at.tzinfo is None]
    ctx.expect(not naive, f"change times without a time zone: {naive}")
    for zone in ZONES:
        zoned = probe.driver.in_zone(zone)
        if zoned is None:
            return  # the system answers in one zone only: nothing more to prove
        with zoned:
            _increment(ctx, ctx.probe(), f"tz-{zone.split('/')[1].lower()}")


def _reports_deletes(target: Target, variant: Variant) -> str | None:
    if reason := _reads(target, variant):
        return reason
    if not target.claims[variant.entity].deletes_reported:
        return "the connector reports no deletions of it (claimed: deletes_reported = False)"
    return None


@check("G-7", needs=_reports_deletes)
def check_deletes_reported(ctx: Ctx) -> None:
    """A record deleted on the system is reported as a delete, so the rules can act on it."""
    probe = ctx.probe()
    driver = probe.driver
    ctx.able(driver, "delete")
    kept = ctx.add(probe, "kept")
    gone = ctx.add(probe, "gone")
    driver.settle()
    first = probe.read(ctx.entity)
    driver.delete(ctx.entity, gone)
    driver.settle()
    got = probe.read(ctx.entity, first.cursor).latest()
    ctx.expect(gone in got, f"the deletion of {gone} was not reported at all")
    ctx.expect(got[gone].op.value == "delete", f"{gone} was deleted but read as {got[gone].op}")
    ctx.expect(kept not in got or got[kept].op.value != "delete", f"{kept} was reported deleted")
