"""Pairs and flows: which entity moves which way, under which precedence policy (G-1).

A pair's flows are data (a preset plus the user's overrides), validated here; the engine
has no code path of its own for any pair or entity.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from framework.engine.guard import GuardConfig

Side = Literal["pos", "platform"]


def other(side: Side) -> Side:
    """Return the other side of a pair."""
    return "platform" if side == "pos" else "pos"


class Direction(StrEnum):
    """The way changes may flow (G-1). A change never flows against its direction."""

    POS_TO_PLATFORM = "pos_to_platform"
    PLATFORM_TO_POS = "platform_to_pos"
    BOTH = "both"
    OFF = "off"

    def allows(self, source: Side) -> bool:
        """Whether a change read on ``source`` may be written to the other side."""
        if self is Direction.BOTH:
            return True
        if self is Direction.OFF:
            return False
        return (self is Direction.POS_TO_PLATFORM) == (source == "pos")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Predicate(_Strict):
    """A test on one canonical field of a record: a flow's scope filter (CB-1, CB-10)."""

    field: str
    eq: Any = None
    ne: Any = None
    in_: list[Any] | None = Field(None, alias="in")
    not_in: list[Any] | None = None
    contains_any: list[Any] | None = Field(
        None, description="A list field holding at least one of these (groups, SQ-3)"
    )

    def test(self, record: dict[str, Any]) -> bool:
        """Whether ``record`` (a canonical dict) passes this predicate."""
        value = record.get(self.field)
        if self.eq is not None and value != self.eq:
            return False
        if self.ne is not None and value == self.ne:
            return False
        if self.in_ is not None and value not in self.in_:
            return False
        if self.contains_any is not None and not (
            isinstance(value, list) and any(v in value for v in self.contains_any)
        ):
            return False
        return not (self.not_in is not None and value in self.not_in)


class FieldRule(_Strict):
    """How one field moves: its policy, its direction (default: the flow's), its rule ID.

    ``map`` renames the keys of a dict field from POS names to platform names and limits
    the field to those keys (CB-4's custom field to preference map).
    """

    policy: str = "overwrite"
    direction: Direction | None = None
    rule: str | None = None
    map: dict[str, str] | None = None
    keep_filled: bool = Field(
        False, description="Never propagate this field turning empty (a value stays filled)"
    )


class FlowSpec(_Strict):
    """One entity's flow within a pair.

    The three switches ``create_on_platform``, ``update_platform`` and ``update_pos`` are
    IS-1's; ``create_on_pos`` is CB-2's automatic download. ``record_policy`` names a
    record-level policy (``record_wins`` or ``winner_record``, IS-2) applied before the
    field policies.
    """

    direction: Direction = Direction.BOTH
    rule: str | None = Field(None, description="Rule ID that sets this flow's direction")
    create_on_platform: bool = True
    create_on_pos: bool = True
    update_platform: bool = True
    update_pos: bool = True
    deletes: Literal["propagate", "unlink"] = "unlink"
    match_on: list[str] = Field(default_factory=list)
    match_rule: str = "G-3"
    link_rule: str | None = Field(
        None,
        description="Rule ID of a link by shared code broken (or mended) by a code changed on "
        "one side (IS-4); default: match_rule",
    )
    duplicate_keys: list[str] = Field(
        default_factory=list,
        description="Keys that make two records of one side duplicate candidates (SQ-2); "
        "default: match_on",
    )
    pos_filter: list[Predicate] = Field(default_factory=list)
    platform_filter: list[Predicate] = Field(default_factory=list)
    filter_rule: str | None = None
    on_create_pos: dict[str, Any] = Field(default_factory=dict)
    on_create_platform: dict[str, Any] = Field(default_factory=dict)
    create_rules: dict[Side, str] = Field(
        default_factory=dict, description="Rule ID behind a creation, by target side"
    )
    record_policy: str | None = None
    record_rule: str | None = None
    winner: Side = "pos"
    fields: dict[str, FieldRule] = Field(default_factory=dict)

    @property
    def indexed_keys(self) -> list[str]:
        """The match keys the engine indexes records under: for matching and duplicates."""
        return list(dict.fromkeys([*self.match_on, *self.duplicate_keys]))

    def reads(self, side: Side) -> bool:
        """Whether the engine needs to read this side's changes at all."""
        if self.direction is Direction.OFF:
            return False
        if self.direction.allows(side):
            return True
        # Reading is not flowing: the side records are created on is read when the flow
        # matches before creating, so G-3 can find the records already there.
        if self.match_on and self.may_create_on(side):
            return True
        # A one-way flow still reads the target side when a field flows against it.
        return any(
            r.direction is not None and r.direction.allows(side) for r in self.fields.values()
        )

    def field_direction(self, name: str) -> Direction:
        """The effective direction of a field, with the update switches applied (IS-1)."""
        rule = self.fields[name]
        base = rule.direction or self.direction
        up = base.allows("pos") and self.update_platform
        down = base.allows("platform") and self.update_pos
        if up and down:
            return Direction.BOTH
        if up:
            return Direction.POS_TO_PLATFORM
        if down:
            return Direction.PLATFORM_TO_POS
        return Direction.OFF

    def may_create_on(self, target: Side) -> bool:
        """Whether a record read on the other side may be created on ``target``."""
        source: Side = "platform" if target == "pos" else "pos"
        switch = self.create_on_pos if target == "pos" else self.create_on_platform
        return switch and self.direction.allows(source)

    def in_scope(self, side: Side, record: dict[str, Any]) -> bool:
        """Whether a record of ``side`` passes that side's filters (CB-1, CB-10)."""
        filters = self.pos_filter if side == "pos" else self.platform_filter
        return all(p.test(record) for p in filters)


class PairSpec(_Strict):
    """A configured pair: its two systems, its flows in order, and its defaults."""

    name: str
    pos: str = Field(description="The configured POS system's name")
    platform: str = Field(description="The configured platform system's name")
    preset: str | None = None
    default_associate: str | None = Field(None, description="G-8: POS associate when unmapped")
    interval_minutes: float = Field(15.0, gt=0, description="G-2: time between runs")
    page_size: int = Field(200, gt=0)
    flows: dict[str, FlowSpec]
    guard: GuardConfig | None = Field(
        None, description="Limits on mass changes in this pair (framework/engine/guard.py)"
    )

    @model_validator(mode="after")
    def _associate_needed(self) -> PairSpec:
        writes_pos = any(
            f.direction.allows("platform")
            or any(
                r.direction is not None and r.direction.allows("platform")
                for r in f.fields.values()
            )
            for f in self.flows.values()
            if f.direction is not Direction.OFF
        )
        if writes_pos and not self.default_associate:
            raise ValueError(
                "default_associate is required: this pair writes into the POS, and G-8 needs "
                "an associate for platform users without a mapping"
            )
        return self


class Preset(_Strict):
    """A pair preset: the flows of a known pair of connectors, as data."""

    name: str
    summary: str = ""
    pos_connector: str
    platform_connector: str
    interval_minutes: float = 15.0
    flows: dict[str, dict[str, Any]]
