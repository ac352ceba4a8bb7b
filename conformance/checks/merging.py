"""Merging duplicates on request (SQ-2): a connector whose system merges loses nothing.

A connector that claims SQ-2 merges records when a user asks (``merge_records``, what
``syncwright duplicates merge`` calls). The check makes three customers of one person on
the subject's system as its users would, each with its own e-mail, phone and address (the
first e-mail repeated in another case), reads them through the connector as the engine
would know them, and asks the connector to merge them. Afterwards, as a user of the system
sees it (the driver): the survivor holds every contact method of the three (by identity: an
e-mail in any case, a number however written), wherever the system keeps it; the others are
gone; and the merge report (``MergeOutcome.kept``) names a place for each record's values.
The check looks at the system, not at the report: a connector that claims to keep a value
it dropped fails.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from conformance.checks import Variant, check
from conformance.checks.context import Ctx
from conformance.checks.target import Target
from conformance.samples import emails
from framework.errors import PluginError
from framework.models import Customer, MergeRequest

CONTACTS = ("emails", "phones", "addresses")
PERSON: list[dict[str, list[dict[str, Any]]]] = [
    {
        "emails": emails("dana.merge@example.com"),
        "phones": [{"number": "+12175550111", "preferred": True}],
        "addresses": [{"street1": "12 Oak St", "city": "Springfield", "preferred": True}],
    },
    {
        "emails": emails("DANA.MERGE@example.com"),
        "phones": [{"number": "+12175550122", "preferred": True}],
        "addresses": [{"street1": "1 Main Plaza", "city": "Peoria", "preferred": True}],
    },
    {
        "emails": emails("dana@work.example"),
        "phones": [{"number": "+13095550133", "preferred": True}],
        "addresses": [{"street1": "7 Lake Rd", "city": "Decatur", "preferred": True}],
    },
]


def _customers(target: Target, variant: Variant) -> str | None:
    if variant.entity != "customer":
        return "merging is checked on customers (their contact methods)"
    if not any(target.has("customer", f) for f in CONTACTS):
        return "the system holds no contact methods"
    return None


def _identities(record: dict[str, Any] | None, field: str) -> set[Hashable]:
    return {
        Customer.item_identity(field, item)
        for item in (record or {}).get(field) or []
        if isinstance(item, dict)
    }


@check("SQ-2", needs=_customers)
def check_merge_records(ctx: Ctx) -> None:
    """A merge keeps every contact method of every merged record and removes the others."""
    probe = ctx.probe()
    driver = probe.driver
    ctx.able(driver, "add")
    held = [f for f in CONTACTS if ctx.holds(f)]
    ids = [
        driver.add("customer", ctx.sample(f"merge-{n}", None, **{f: values[f] for f in held}))
        for n, values in enumerate(PERSON)
    ]
    driver.settle()
    before = {i: driver.get("customer", i) for i in ids}
    read = probe.read("customer").latest()
    records = {i: read[i].record for i in ids if i in read and read[i].record is not None}
    ctx.expect(len(records) == len(ids), "the records to merge were not all read")
    request = MergeRequest(
        entity="customer", survivor=ids[0], others=ids[1:], records=dict(records)
    )
    try:
        outcome = probe.hooks.merge_records(probe.system, request)
    except PluginError:
        ctx.fail("it claims SQ-2 but its connector cannot merge customers")
    driver.settle()
    after = driver.get("customer", ids[0])
    ctx.expect(after is not None, "the survivor is gone after the merge")
    live = set(driver.ids("customer"))
    for other in ids[1:]:
        ctx.expect(other not in live, f"{other} was merged but is still there")
    for field in held:
        union = set().union(*(_identities(before[i], field) for i in ids))
        lost = union - _identities(after, field)
        ctx.expect(not lost, f"the merge lost {field} {sorted(map(str, lost))}")
    reported = {(k.field, k.source) for k in outcome.kept if k.place}
    for record_id in ids:
        for field in held:
            if _identities(before[record_id], field):
                ctx.expect(
                    (field, record_id) in reported,
                    f"the merge report says nowhere where the {field} of {record_id} went",
                )
