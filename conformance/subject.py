"""What a connector author declares: the connector, a factory for its fake, its capabilities.

A declaration is a few lines::

    subject = Subject(
        connector="example-crm",
        fake=make_fake,                       # tmp folder -> FakeSystem
        entities={"customer": Claims(directions=["both", "pos_to_platform"])},
    )

registered under the entry-point group ``syncwright.conformance`` (or handed to
``conformance_tests`` in a test module). Anything left out is read from the connector's
own ``describe_connector`` answer: its side, entities, fields, match keys and claimed rules.
The fake factory returns the settings of one configured system, the in-process transport
of an HTTP fake, and a :class:`~conformance.driver.Driver` that edits and inspects the fake
as a user of that system would. Connector and fake still never import each other: the
declaration is the one place that knows both names.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import httpx

    from conformance.driver import Driver

ENTRY_POINT_GROUP = "syncwright.conformance"
Role = Literal["pos", "platform"]
DirectionName = Literal["both", "pos_to_platform", "platform_to_pos", "off"]
ALL_DIRECTIONS: tuple[DirectionName, ...] = ("both", "pos_to_platform", "platform_to_pos", "off")
Feed = Literal["incremental", "windowed", "full"]


@dataclass
class FakeSystem:
    """One fresh fake system: what the engine needs to reach it, and a driver to use it.

    Attributes:
        settings: the ``[systems.NAME]`` table of a system on this fake (without
            ``connector``, which the suite fills in).
        driver: edits and inspects records on the fake as a user of the system.
        transport: the fake's in-process HTTP transport; ``None`` for systems reached
            otherwise (files, a database).
    """

    settings: dict[str, Any]
    driver: Driver
    transport: httpx.BaseTransport | None = None


@dataclass(frozen=True)
class Refusal:
    """A system of the subject's kind that its connector refuses a flow of the entity for.

    The refusal comes when the configuration loads, before anything runs (the connector's
    ``refuse``, the ``check_flow`` hook): a Podium account on Clientele cannot take items
    (PD-1).

    Attributes:
        name: what sets that system apart (``clientele``); it names the check's case.
        fake: builds a fresh fake of such a system, its settings saying what sets it apart.
        rule: the rule that makes the connector refuse the flow.
    """

    name: str
    fake: Callable[[Path], FakeSystem]
    rule: str


@dataclass(frozen=True)
class Claims:
    """What a connector claims for one entity; ``None`` means "as the connector describes".

    Attributes:
        directions: the flow directions it can take part in (G-1).
        match_keys: the match keys it supports (G-3).
        fields: the canonical fields its system holds.
        custom_keys: two keys its ``custom`` field may hold (CB-4 field maps), when it
            has one; free names by default.
        feed: ``incremental`` when a read resumed from any cursor returns every change made
            since, changes to records of pages already read included; ``windowed`` when a
            read pages through a query fixed when it began, so such a change comes with
            the next read (Square's search, IdoSell's client list: each read starts where
            the last one began); ``full`` when the system has no change feed and every
            read returns every record (``fetch_changes`` allows it: the engine drops
            unchanged records by content hash).
        deletes_reported: whether a record deleted on the system is ever reported as a
            delete (a system without a change feed never reports one: absence from a
            read is not a delete).
        required: values every record must carry to be accepted by the system (an
            IdoSell account: a shop); the suite's samples take them.
        generated: fields the system fills with values of its own when it creates a
            record, whatever was sent (Podium writes generated titles and descriptions
            over an uploaded product's, PD-6): a create is not compared on them, an
            update is.
        refused: systems of the subject's kind its connector refuses a flow of the entity
            for, when the configuration loads (PD-1: items on a Podium account on
            Clientele).
    """

    directions: tuple[DirectionName, ...] = ALL_DIRECTIONS
    match_keys: tuple[str, ...] | None = None
    fields: tuple[str, ...] | None = None
    custom_keys: tuple[str, str] = ("ring_size", "metal")
    feed: Feed = "incremental"
    deletes_reported: bool = True
    required: dict[str, Any] = field(default_factory=dict, hash=False)
    generated: tuple[str, ...] = ()
    refused: tuple[Refusal, ...] = ()


@dataclass(frozen=True)
class Subject:
    """A connector under test and how to reach a fake of its system.

    Attributes:
        connector: the connector's name (``describe_connector`` answers for it).
        fake: builds one fresh fake system in a temporary folder.
        plugin: the connector's plugin object; ``None`` loads it through the
            ``syncwright.plugins`` entry point, as production does.
        entities: claims per entity; ``None`` takes every entity the connector describes.
        rules: the rule IDs it claims; ``None`` takes the connector's own list. The
            general rules (G-1 … G-8) are always owed.
        roles: the sides of a pair it can sit on; ``None`` takes the connector's side
            (``any``: both).
        name: how the suite names it (default: the connector name).
    """

    connector: str
    fake: Callable[[Path], FakeSystem]
    plugin: object | None = None
    entities: dict[str, Claims] | None = None
    rules: tuple[str, ...] | None = None
    roles: tuple[Role, ...] | None = None
    name: str = ""

    @property
    def label(self) -> str:
        """The subject's name in test ids and the matrix."""
        return self.name or self.connector


def load_subjects(names: list[str] | None = None) -> list[Subject]:
    """The subjects declared under the ``syncwright.conformance`` entry-point group.

    Args:
        names: only these (by entry-point name); ``None`` for all.

    Raises:
        LookupError: a name asked for is not installed; the message lists those that are.
    """
    found = {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    wanted = names or sorted(found)
    missing = [n for n in wanted if n not in found]
    if missing:
        known = ", ".join(sorted(found)) or "none"
        raise LookupError(f"no conformance subject named {missing[0]!r} (installed: {known})")
    subjects = []
    for name in wanted:
        loaded = found[name].load()
        subject = loaded() if callable(loaded) and not isinstance(loaded, Subject) else loaded
        if not isinstance(subject, Subject):
            raise TypeError(f"entry point {name!r} of {ENTRY_POINT_GROUP} is not a Subject")
        subjects.append(subject)
    return subjects
