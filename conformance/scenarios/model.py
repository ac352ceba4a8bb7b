"""The scenario file format: a pair, the records on each side, steps, and what must hold after.

A scenario is YAML (or JSON) validated by :class:`Scenario`; its JSON Schema is
``docs/scenario.schema.json`` (``syncwright scenario schema`` prints it). Records are
canonical records in their JSON form (``syncwright schema customer``); each gets an alias
that names it on either side once the engine has linked it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Side = Literal["pos", "platform"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Edit(_Strict):
    """Set fields of a record on one side, as a user of that system."""

    side: Side
    record: str = Field(description="The record's alias")
    values: dict[str, Any] = Field(alias="set", description="Canonical fields, whole values")
    actor: str | None = Field(
        None, description="mapped / unmapped (the driver's users), a user id, or the default"
    )


class Create(_Strict):
    """Create a new record on one side, as a user of that system."""

    side: Side
    record: str = Field(description="The new record's alias")
    values: dict[str, Any] = Field(
        description="The canonical record; a reference to another record is its alias "
        "prefixed with @ (customer: '@jan')"
    )
    actor: str | None = None
    entity: str | None = Field(None, description="The record's entity (default: the scenario's)")
    code: str | None = Field(
        None, description="The shared code it is made with (IS-3), where its system keeps one"
    )


class Delete(_Strict):
    """Delete a record on one side, as a user of that system."""

    side: Side
    record: str
    actor: str | None = None


class Fault(_Strict):
    """Take one side's system down (``down: true``) or bring it back."""

    side: Side
    down: bool = True


class DuplicatesExpected(_Strict):
    """A group of duplicate candidates that must be reported on one side (SQ-2)."""

    side: Side
    records: list[str] = Field(min_length=2, description="The aliases of the group's records")


class ProblemExpected(_Strict):
    """An open problem that must exist: its rule, and words its reason contains."""

    rule: str
    reason: str | None = None


class Expect(_Strict):
    """What must hold: records on each side (a subset of their fields), counts, problems.

    A record expected as ``null`` must not exist on that side (deleted, or never made).
    """

    pos: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    platform: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    count: dict[Side, int] = Field(
        default_factory=dict, description="Live records of the scenario's entity per side"
    )
    problems: list[ProblemExpected] = Field(default_factory=list)
    duplicates: list[DuplicatesExpected] = Field(
        default_factory=list, description="Duplicate candidate groups that must be reported"
    )


class SyncStep(_Strict):
    """Run the pair this many times."""

    sync: int = Field(1, ge=1)


class EditStep(_Strict):
    """An edit."""

    edit: Edit


class CreateStep(_Strict):
    """A create."""

    create: Create


class DeleteStep(_Strict):
    """A delete."""

    delete: Delete


class FaultStep(_Strict):
    """A fault."""

    fault: Fault


class ExpectStep(_Strict):
    """A checkpoint: what must hold at this point."""

    expect: Expect


Step = SyncStep | EditStep | CreateStep | DeleteStep | FaultStep | ExpectStep


class Scenario(_Strict):
    """One scenario."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    summary: str = ""
    source: str | None = Field(None, description="The source document the example comes from")
    note: str | None = None
    rules: list[str] = Field(min_length=1, description="Rule IDs of RULES.md it proves")
    entity: str = "customer"
    systems: dict[Side, str | list[str]] = Field(
        description="Subject name per side (edge, clientbook, memory…), or several: the "
        "scenario holds with each (the first is the one `scenario run` uses)"
    )
    pair: dict[str, Any] = Field(
        default_factory=dict,
        description="The [pairs.NAME] table without pos/platform: preset, flows, "
        "default_associate (default 1)",
    )
    records: dict[Side, dict[str, dict[str, Any]]] = Field(
        default_factory=dict, description="Records made before the first step, by alias"
    )
    codes: dict[str, str] = Field(
        default_factory=dict,
        description="The shared code (IS-3) each of those records is made with, by alias, "
        "where its system keeps one",
    )
    steps: list[Step] = Field(default_factory=list)
    expect: Expect = Field(default_factory=Expect, description="What must hold at the end")

    def subjects_on(self, side: Side) -> list[str]:
        """The subjects the scenario holds with on ``side``; the first is its default."""
        named = self.systems.get(side, [])
        return [named] if isinstance(named, str) else list(named)
