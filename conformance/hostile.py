"""A deliberately hostile connector: the memory connector with sins, one switch each.

It proves the checks can fail. Each sin is a subtle, realistic way to break a rule, and
``tests/test_conformance_hostile.py`` runs the whole suite on a subject with one sin at a
time and expects exactly the checks listed in :data:`BREAKS` to fail. With no sin it is the
memory connector under another name and passes everything.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from conformance.memory import memory_fake
from conformance.memory.connector import MemoryConnector
from conformance.subject import Claims, Subject
from framework import (
    ApplyResult,
    AssociateMapping,
    Change,
    ChangePage,
    ConnectorError,
    FatalError,
    MatchQuery,
    MatchResult,
    MergeOutcome,
    MergeRequest,
    Op,
    RetryableError,
    SystemContext,
    WriteOp,
    WriteRequest,
    hookimpl,
)
from framework.cursors import FeedCursor

SINS: dict[str, str] = {
    "echo": "its system drops contact labels, but it reports the record as it was asked",
    "append_overwrite": "it writes only the newest element of a contact list it updates",
    "skip_boundary": "it skips records stamped at the very instant its cursor was taken",
    "duplicates": "it ignores idempotency keys and never looks for an earlier create",
    "naive_times": "it drops the time zone of the times its system answers",
    "false_deletes": "a read that fails reports every record it has seen as deleted",
    "invents_associates": "it maps a platform user without a POS id to the user's own id",
    "ignores_associate": "it never records the associate a POS write names",
    "lossy_paging": "it drops the first record of every page after the first",
    "guesses_matches": "when two records match, it answers the first",
    "drops_unreadable": "it leaves out the records it cannot read instead of reporting them",
    "fatal_on_transient": "it takes a 429 or a 503 for a failure retrying cannot fix",
    "find_or_create": "it looks a record up with its system's find-or-create call",
    "stale_codes": "it reports each record's shared code as it was when first read",
    "false_merges": "it reports a new record as a merge of the records sharing its e-mail "
    "(its system only flagged them as possible duplicates)",
    "lossy_merge": "a merge keeps the survivor's contact lists and takes the others' only "
    "where it has none, yet reports every value kept",
}

CONTACTS = ("emails", "phones", "addresses")

BREAKS: dict[str, set[str]] = {
    "echo": {"echo_suppression", "append_as_new"},
    "append_overwrite": {"append_as_new", "merge_records"},  # a merge updates the lists too
    "skip_boundary": {"cursor_boundary"},
    "duplicates": {"idempotent_create", "kill_and_resume"},
    "naive_times": {"time_zones"},
    "false_deletes": {"no_false_deletes", "transient_faults"},
    "invents_associates": {"associate_default"},
    "ignores_associate": {"associate_recorded"},
    "lossy_paging": {"paging", "cursor_intermediate"},
    "guesses_matches": {"match_ambiguous"},
    "drops_unreadable": {"unreadable_quarantined"},
    "fatal_on_transient": {"transient_faults"},
    # A write where a look-up was asked for: records appear on a side whatever the flow
    # allows (IS-1's create switch, G-1's direction) and the engine's create never shows.
    "find_or_create": {
        "switches",
        "direction",
        "echo_suppression",
        "field_map",
        "associate_recorded",
        "kill_and_resume",
    },
    "stale_codes": {"code_changed_on_one_side"},
    "false_merges": {"match_linked"},
    "lossy_merge": {"merge_records"},
}
"""The checks each sin must make fail (and no others)."""


class HostileConnector(MemoryConnector):
    """The memory connector, named ``hostile``, committing the chosen sins."""

    name = "hostile"

    def __init__(self, *sins: str):
        unknown = set(sins) - set(SINS)
        if unknown:
            raise ValueError(f"unknown sin(s) {sorted(unknown)} (known: {', '.join(SINS)})")
        self.sins = frozenset(sins)

    # -- reading ----------------------------------------------------------------------------

    def read_page(
        self, system: SystemContext, entity: str, cursor: str | None, limit: int
    ) -> ChangePage:
        """The memory feed, read badly."""
        try:
            page = super().read_page(system, entity, cursor, limit)
        except ConnectorError:
            if "false_deletes" not in self.sins:
                raise
            seen = system.cache.get("seen", set())
            gone = [Change(entity=entity, id=i, op=Op.DELETE) for i in sorted(seen)]
            return ChangePage(changes=gone, cursor=cursor)
        since = FeedCursor.load(cursor).since
        changes = page.changes
        if "drops_unreadable" in self.sins:
            changes = [c for c in changes if c.problem is None]
        if "skip_boundary" in self.sins and since is not None:
            changes = [c for c in changes if c.updated_at != since]
        if "lossy_paging" in self.sins and cursor and FeedCursor.load(cursor).token:
            changes = changes[1:]
        if "false_merges" in self.sins:
            changes = [self._merged(system, c) for c in changes]
        if "stale_codes" in self.sins:  # a code cached by id, never read again
            codes: dict[str, str | None] = system.cache.setdefault("codes", {})
            changes = [
                c.model_copy(update={"link_key": codes.setdefault(c.id, c.link_key)})
                for c in changes
            ]
        system.cache.setdefault("seen", set()).update(c.id for c in changes)
        return page.model_copy(update={"changes": changes})

    @staticmethod
    def _merged(system: SystemContext, change: Change) -> Change:
        """A record first seen sharing an e-mail with others: reported as their merge."""
        known: dict[str, set[str]] = system.cache.setdefault("emails", {})
        record = change.record.model_dump(mode="json") if change.record is not None else {}
        mine = {str(e.get("address", "")).lower() for e in record.get("emails") or []}
        first = change.id not in known
        known[change.id] = mine
        others = sorted(i for i, theirs in known.items() if i != change.id and mine & theirs)
        if not first or not others:
            return change
        return change.model_copy(update={"supersedes": others})

    def to_change(self, entity: str, item: dict[str, Any]) -> Change:
        """A feed record as a change; a naive reader loses the zone of its time."""
        change = super().to_change(entity, item)
        if "naive_times" in self.sins:
            wall = dt.datetime.fromisoformat(item["updated_at"]).replace(tzinfo=None)
            change = change.model_copy(update={"updated_at": wall})
        return change

    # -- writing ----------------------------------------------------------------------------

    def write(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """The memory write, done badly."""
        if "duplicates" in self.sins and request.op is WriteOp.CREATE:
            request = request.model_copy(
                update={"idempotency_key": f"{request.idempotency_key}-{id(object())}"}
            )
        if "ignores_associate" in self.sins:
            request = request.model_copy(update={"associate": None})
        result = super().write(system, request)
        if "echo" in self.sins and request.record is not None and result.record is not None:
            result = result.model_copy(update={"record": request.record})
        return result

    def call(self, system: SystemContext, method: str, url: str, **kwargs: Any) -> Any:
        """Requests as the memory connector sends them, bent by the sins."""
        if "fatal_on_transient" in self.sins:
            try:
                return super().call(system, method, url, **kwargs)
            except RetryableError as exc:
                raise FatalError(str(exc), system=system.name, status=exc.status) from None
        data = (kwargs.get("json") or {}).get("data")
        if isinstance(data, dict) and method in ("POST", "PATCH"):
            for field in CONTACTS:
                items = data.get(field)
                if not isinstance(items, list):
                    continue
                if "echo" in self.sins:
                    data[field] = [{**i, "label": None} for i in items]
                if "append_overwrite" in self.sins and method == "PATCH" and len(items) > 1:
                    data[field] = data[field][-1:]
        return super().call(system, method, url, **kwargs)

    def merge(self, system: SystemContext, request: MergeRequest) -> MergeOutcome | None:
        """A careless merge keeps what the survivor has and drops the others' (SQ-2)."""
        return self.merged(system, request, lossy="lossy_merge" in self.sins)

    # -- matching and associates ------------------------------------------------------------

    @hookimpl
    def match_record(self, system: SystemContext, query: MatchQuery) -> MatchResult | None:
        """A guesser answers one of several candidates; a duplicator never searches."""
        if not self._mine(system):
            return None
        if "guesses_matches" in self.sins and len(query.candidates) > 1:
            return MatchResult(ids=query.candidates[:1], source="a guess")
        if "duplicates" in self.sins:
            return None
        found = super().match_record(system, query)
        if "find_or_create" in self.sins and not query.replay and not query.candidates:
            # Its system's lookup: find by the keys, else create (whatever the flow allows).
            search = super().match_record(system, query.model_copy(update={"replay": True}))
            if search is not None and search.ids:
                return search
            made = self.write(
                system,
                WriteRequest(
                    entity=query.entity,
                    op=WriteOp.CREATE,
                    record=query.record,
                    fields=list(query.record.model_dump(exclude_none=True)),
                    idempotency_key=f"find-or-create-{uuid.uuid4().hex}",
                ),
            )
            record = made.record or query.record
            return MatchResult(ids=[str(made.id)], records={str(made.id): record}, source="found")
        return found

    def associate(
        self, system: SystemContext, user_id: str | None, default_associate: str | None
    ) -> AssociateMapping | None:
        """An unmapped user becomes an associate of its own name."""
        mapping = super().associate(system, user_id, default_associate)
        if mapping is None and user_id is not None and "invents_associates" in self.sins:
            return AssociateMapping(pos_associate=user_id, source="mapped")
        return mapping


def hostile_subject(*sins: str) -> Subject:
    """A subject for the hostile connector with ``sins`` (none: it behaves)."""
    label = "hostile-" + "-".join(sorted(sins)) if sins else "hostile"
    # Customers only: every sin is a sin on any entity, and each check's code is the same
    # for all of them; one entity keeps thirteen runs of the suite short.
    return Subject(
        connector="hostile",
        fake=memory_fake,
        plugin=HostileConnector(*sins),
        entities={"customer": Claims()},
        name=label,
    )
