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
    values: dict[str, Any] = Field(description="The canonical record")
    actor: str | None = None


class Delete(_Strict):
    """Delete a record on one side, as a user of that system."""

    side: Side
    record: str
    actor: str | None = None


class Fault(_Strict):
    """Take one side's system down (``down: true``) or bring it back."""

    side: Side
    down: bool = True


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
    count: dict[Side, int] = Field(default_factory=dict, description="Live records per side")
    problems: list[ProblemExpected] = Field(default_factory=list)


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
    systems: dict[Side, str] = Field(
        description="Subject (connector) name per side: edge, clientbook, memory…"
    )
    pair: dict[str, Any] = Field(
        default_factory=dict,
        description="The [pairs.NAME] table without pos/platform: preset, flows, "
        "default_associate (default 1)",
    )
    records: dict[Side, dict[str, dict[str, Any]]] = Field(
        default_factory=dict, description="Records made before the first step, by alias"
    )
    steps: list[Step] = Field(default_factory=list)
    expect: Expect = Field(default_factory=Expect, description="What must hold at the end")
