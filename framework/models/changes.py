"""What travels through the hooks: changes read, writes asked for, their results, matches."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    SerializeAsAny,
    model_validator,
)

from framework.models.base import CanonicalRecord, check_text


class Op(StrEnum):
    """What a change does to its record."""

    UPSERT = "upsert"
    DELETE = "delete"


class WriteOp(StrEnum):
    """What a write asks the target system to do."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class Change(_Model):
    """One record as a system reports it since a cursor: its current state, or its deletion.

    A connector that cannot turn a source record into a canonical one (bad e-mail, missing
    field) still reports it, with ``problem`` saying why and ``record`` left ``None``; the
    engine parks it in quarantine (G-5) instead of losing it or stopping the page.

    ``supersedes`` names records of the same system this one replaces, when the system
    merged them into a new record (Square's merge makes a new customer and deletes the old
    ones): the engine moves their links to this record instead of matching or creating it,
    so a merge made in the system never makes a duplicate on the other side.
    """

    entity: str
    id: str = Field(description="The record's id on its own system")
    op: Op = Op.UPSERT
    record: SerializeAsAny[CanonicalRecord] | None = None
    link_key: str | None = Field(
        None,
        description="The code this record shares with its counterpart (IS-3), when kept",
    )
    actor: str | None = Field(None, description="The platform user who made the change (G-8)")
    updated_at: dt.datetime | None = None
    version: str | None = None
    problem: str | None = Field(None, description="Why the record could not be read")
    supersedes: list[str] = Field(
        default_factory=list,
        description="Ids on the same system this record replaces (a merge made in the system)",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _readable_text(cls, value: Any, handler: ModelWrapValidatorHandler[Change]) -> Change:
        """A record read from a system holds no control characters in its text (G-5).

        Checked as the change is built, not again when a page holding it is (pydantic runs
        an ``after`` validator on an instance it does not revalidate: twice per change).
        """
        if isinstance(value, Change):
            return handler(value)
        change = handler(value)
        if change.record is not None:
            check_text(change.record)
        return change


class ChangePage(_Model):
    """A page of changes and the cursor to resume after it.

    ``cursor`` is opaque to the engine and stored only once the page is durably staged.
    ``more`` says whether another page follows now; ``total`` is an estimate for progress.
    """

    changes: list[Change] = Field(default_factory=list)
    cursor: str | None = None
    more: bool = False
    total: int | None = None


class WriteRequest(_Model):
    """One write the engine asks a connector to make.

    ``record`` is the full desired state of the fields the flow moves; ``fields`` lists the
    ones that changed (a connector may send only those). ``target_id`` is ``None`` for a
    create, and may be ``None`` for an update of a record whose id is still pending (then
    ``link_key`` addresses it). ``idempotency_key`` is stable across replays (G-6).
    """

    entity: str
    op: WriteOp
    target_id: str | None = None
    link_key: str | None = None
    record: SerializeAsAny[CanonicalRecord] | None = None
    fields: list[str] = Field(default_factory=list)
    associate: str | None = Field(None, description="POS associate making the change (G-8)")
    idempotency_key: str
    replay: bool = Field(False, description="True when resuming a write of an earlier run")
    base_version: str | None = None
    base: SerializeAsAny[CanonicalRecord] | None = Field(
        None,
        description="An update's target record as the engine last saw it: a connector whose "
        "system merges what it is sent can send only what differs from it",
    )


class ApplyResult(_Model):
    """What a connector reports after a write.

    ``id`` is the record's id on the target; ``None`` with ``pending=True`` means the system
    queued the write and will assign the id later (Edge imports, Podium's 202). ``record``
    is the state as the system stores it, when the system says; the engine keeps it as the
    shadow so the write is recognised when it is read back (G-4).
    """

    id: str | None = None
    version: str | None = None
    record: SerializeAsAny[CanonicalRecord] | None = None
    pending: bool = False
    link_key: str | None = Field(
        None,
        description="The code the system now holds for this record (e.g. the partner id an "
        "Edge import carries), so the record is found by it when its id is assigned later",
    )


class MatchQuery(_Model):
    """A request to find the record a new one should link to (G-3).

    ``keys`` are the record's normalised match keys the flow matches on; ``candidates``
    are the ids the engine's own index of this system already found for those keys;
    ``replay`` is set when an earlier create may have reached the system unrecorded.
    """

    entity: str
    record: SerializeAsAny[CanonicalRecord]
    keys: dict[str, list[str]] = Field(default_factory=dict)
    candidates: list[str] = Field(default_factory=list)
    replay: bool = False


class MatchResult(_Model):
    """The ids that matched: none, one (link it), or several (ambiguous: report, never guess)."""

    ids: list[str] = Field(default_factory=list)
    records: dict[str, SerializeAsAny[CanonicalRecord]] = Field(
        default_factory=dict, description="The matched records' content, when searched live"
    )
    source: str = "index"

    @property
    def ambiguous(self) -> bool:
        """Whether more than one record matched."""
        return len(self.ids) > 1


class MergeRequest(_Model):
    """A merge of duplicate records on one system, asked for by a user (SQ-2).

    ``survivor`` keeps its id; ``others`` are merged into it and removed. ``records`` holds
    the engine's last known content of each of them, by id. ``link_key`` is the shared code
    the survivor must answer to afterwards (the code of the link the engine moves to it),
    when there is one.
    """

    entity: str
    survivor: str
    others: list[str]
    records: dict[str, SerializeAsAny[CanonicalRecord]] = Field(default_factory=dict)
    link_key: str | None = None


class KeptValue(_Model):
    """Where one value of a merged record is held after the merge (the SQ-2 report)."""

    field: str = Field(
        description="What the value is: a canonical contact field (emails, phones, "
        "addresses), notes, or a field of the system's own"
    )
    value: str = Field(description="The value as the system holds it, on one line")
    source: str = Field(description="The id of the record it came from")
    place: str = Field(description="Where the survivor holds it now, in the system's words")


class MergeOutcome(_Model):
    """What a system did for a merge: the surviving record and an account of what it kept.

    ``kept`` says, for every contact method and note of every merged record (the
    survivor's too), where the survivor holds it now: a merge keeps them all (SQ-2).
    """

    id: str
    record: SerializeAsAny[CanonicalRecord] | None = None
    version: str | None = None
    removed: list[str] = Field(default_factory=list, description="Ids that no longer exist")
    details: dict[str, Any] = Field(
        default_factory=dict, description="What was kept and moved, for the merge record"
    )
    kept: list[KeptValue] = Field(
        default_factory=list, description="Where each value of the merged records is now"
    )
