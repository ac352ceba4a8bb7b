"""Precedence policies: who wins a field when one or both sides changed it.

Each policy is a small named object. ``resolve`` sees one field of one linked record (its
value now and in the shadow on each side, which sides changed it, which way it may flow)
and says what to write to each side. ``copies_on_create`` says whether the field travels
when a record is created on the other side. ``record_wins`` and ``winner_record`` are
record-level: the merge asks them first (IS-2), for the fields whose own policy
``yields_to_record`` (list policies that only ever add, CB-3 and IS-9, keep their rule even
then). Policies never look at other fields, systems or connectors.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Final

from framework.engine.flows import Direction, Side


class _Keep:
    """Marker: write nothing to that side."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


@dataclass(frozen=True)
class FieldState:
    """One field of one linked record, on both sides, against the shadow."""

    field: str
    pos: Any
    platform: Any
    pos_changed: bool
    platform_changed: bool
    direction: Direction
    winner: Side = "pos"
    identity: Callable[[Any], Hashable] = repr
    pos_old: Any = None
    platform_old: Any = None

    @property
    def up(self) -> bool:
        """Whether the field may flow POS -> platform."""
        return self.direction.allows("pos")

    @property
    def down(self) -> bool:
        """Whether the field may flow platform -> POS."""
        return self.direction.allows("platform")


@dataclass(frozen=True)
class Outcome:
    """What to write to each side for one field (``KEEP`` = nothing)."""

    to_platform: Any = KEEP
    to_pos: Any = KEEP

    @property
    def writes(self) -> bool:
        """Whether anything is written."""
        return self.to_platform is not KEEP or self.to_pos is not KEEP


NOTHING: Final = Outcome()


class Overwrite:
    """The side that changed overwrites the other; on a conflict the pair's winner does."""

    name = "overwrite"
    yields_to_record = True

    def resolve(self, s: FieldState) -> Outcome:
        """Resolve one field."""
        if s.pos == s.platform:
            return NOTHING
        source = _source(s)
        if source is None:
            return NOTHING
        return Outcome(to_platform=s.pos) if source == "pos" else Outcome(to_pos=s.platform)

    def copies_on_create(self, target: Side) -> bool:
        """Overwritten fields travel with a new record."""
        return True


class AppendAsNew:
    """CB-3: POS changes overwrite the platform; platform changes are *added* on the POS.

    For list fields (contact methods). Elements the platform has and the POS lacks (by
    normalised identity) are appended to the POS list as new, non-preferred elements;
    nothing on the POS is ever updated or erased from the platform side. On a conflict
    the POS value goes up and the platform's differing elements are added on the POS.
    """

    name = "append_as_new"
    yields_to_record = False

    def resolve(self, s: FieldState) -> Outcome:
        """Resolve one list field."""
        pos_list = list(s.pos or [])
        to_pos: Any = KEEP
        if s.platform_changed and s.down:
            known = {s.identity(item) for item in pos_list}
            added = [_as_new(item) for item in s.platform or [] if s.identity(item) not in known]
            if added:
                to_pos = pos_list + added
        to_platform: Any = KEEP
        if s.pos_changed and s.up:
            final = pos_list if to_pos is KEEP else to_pos
            if final != s.platform:
                to_platform = final
        return Outcome(to_platform=to_platform, to_pos=to_pos)

    def copies_on_create(self, target: Side) -> bool:
        """A new record takes every contact method."""
        return True


class CreateOnly:
    """CB-5: the winner's changes flow as overwrite; the other side's only at creation.

    Acquisition uploads from Edge, downloads from Clientbook only when the customer is new
    to Edge, and a later Clientbook change never overwrites the Edge value.
    """

    name = "create_only"
    yields_to_record = True

    def resolve(self, s: FieldState) -> Outcome:
        """Resolve one field: only the winner's change moves."""
        if s.pos == s.platform:
            return NOTHING
        if s.winner == "pos" and s.pos_changed and s.up:
            return Outcome(to_platform=s.pos)
        if s.winner == "platform" and s.platform_changed and s.down:
            return Outcome(to_pos=s.platform)
        return NOTHING

    def copies_on_create(self, target: Side) -> bool:
        """Travels with a new record either way: that is the one time it moves down."""
        return True


class AddOnly:
    """IS-9: an element new on either side is *added* on the other; nothing is replaced.

    For list fields (delivery addresses). An element is new on a side when that side's
    shadow lacks it (by normalised identity); it is appended to the other side's list when
    that side lacks it too, as a non-preferred element. Nothing is ever removed or updated
    on either side, so a deletion on one side is neither copied nor undone. With no shadow
    yet (a record just linked) every element is new: the lists are united both ways.
    """

    name = "add_only"
    yields_to_record = False

    def resolve(self, s: FieldState) -> Outcome:
        """Resolve one list field."""
        to_pos = _added(s.pos, s.platform, s.platform_old, s.identity) if s.down else KEEP
        to_platform = _added(s.platform, s.pos, s.pos_old, s.identity) if s.up else KEEP
        return Outcome(to_platform=to_platform, to_pos=to_pos)

    def copies_on_create(self, target: Side) -> bool:
        """A new record takes every element."""
        return True


class RecordWins:
    """IS-2: when both sides changed the record, the winner's whole record is written over.

    The loser takes every field of the winner's record, including fields only the loser
    changed; the winner is not written. When only one side changed, the field policies
    decide as usual (``resolve_record`` returns ``None``). Fields whose own policy does not
    yield to a record-level one (``add_only``, ``append_as_new``) are never passed here.
    """

    name = "record_wins"
    yields_to_record = True
    on_winner_change = False

    def resolve_record(
        self,
        states: list[FieldState],
        winner: Side,
        changed: tuple[bool, bool] | None = None,
    ) -> dict[str, Outcome] | None:
        """Resolve a whole record, or ``None`` when the field policies should decide.

        Args:
            states: the fields this policy may decide.
            winner: the side whose record wins.
            changed: whether the POS and the platform changed anything since their shadows
                (all fields, not only ``states``); computed from ``states`` when omitted.
        """
        pos_changed, platform_changed = changed or (
            any(s.pos_changed for s in states),
            any(s.platform_changed for s in states),
        )
        winner_changed, loser_changed = (
            (pos_changed, platform_changed) if winner == "pos" else (platform_changed, pos_changed)
        )
        if not (winner_changed and (loser_changed or self.on_winner_change)):
            return None
        outcomes: dict[str, Outcome] = {}
        for s in states:
            if s.pos == s.platform:
                continue
            if winner == "pos" and s.up:
                outcomes[s.field] = Outcome(to_platform=s.pos)
            elif winner == "platform" and s.down:
                outcomes[s.field] = Outcome(to_pos=s.platform)
        return outcomes

    def resolve(self, s: FieldState) -> Outcome:
        """As a field policy it behaves like ``overwrite``."""
        return Overwrite().resolve(s)

    def copies_on_create(self, target: Side) -> bool:
        """Every field travels with a new record."""
        return True


class WinnerRecord(RecordWins):
    """IS-2 with IS-5: whenever the winner changed the record, the loser takes it whole.

    As ``record_wins`` on a conflict; and when only the winner changed, its update still
    carries its whole record, so a value the loser holds and the winner lacks is cleared
    (a generic F/K program's update clears IdoSell's first and last name, IS-5). When only
    the loser changed, the field policies decide as usual.
    """

    name = "winner_record"
    on_winner_change = True


class Ignore:
    """The field never moves and its changes are not changes (CB-11's assigned associate)."""

    name = "ignore"
    yields_to_record = False

    def resolve(self, s: FieldState) -> Outcome:
        """Nothing, ever."""
        return NOTHING

    def copies_on_create(self, target: Side) -> bool:
        """Not even on create."""
        return False


Policy = Overwrite | AppendAsNew | CreateOnly | AddOnly | RecordWins | WinnerRecord | Ignore

POLICIES: Final[dict[str, Policy]] = {
    p.name: p
    for p in (
        Overwrite(),
        AppendAsNew(),
        CreateOnly(),
        AddOnly(),
        RecordWins(),
        WinnerRecord(),
        Ignore(),
    )
}


def get_policy(name: str) -> Policy:
    """Return the policy named ``name``.

    Raises:
        KeyError: there is no such policy; the message lists the known ones.
    """
    try:
        return POLICIES[name]
    except KeyError:
        raise KeyError(f"unknown policy {name!r} (known: {', '.join(POLICIES)})") from None


def _source(s: FieldState) -> Side | None:
    """Which side's value should overwrite the other, honouring direction and winner."""
    if s.pos_changed and s.platform_changed:
        preferred: Side = s.winner
        if (preferred == "pos" and s.up) or (preferred == "platform" and s.down):
            return preferred
        return "platform" if s.down else ("pos" if s.up else None)
    if s.pos_changed:
        return "pos" if s.up else None
    if s.platform_changed:
        return "platform" if s.down else None
    return None


def _added(target: Any, source: Any, source_old: Any, identity: Callable[[Any], Hashable]) -> Any:
    """``target`` plus the elements new on ``source`` since its shadow that it lacks."""
    have = {identity(item) for item in target or []}
    before = {identity(item) for item in source_old or []}
    added = []
    for item in source or []:
        key = identity(item)
        if key not in before and key not in have:
            added.append(_as_new(item))
            have.add(key)
    return [*(target or []), *added] if added else KEEP


def _as_new(item: Any) -> Any:
    """An element copied from the other side joins the list as a new, non-preferred one."""
    if isinstance(item, dict) and item.get("preferred"):
        return {**item, "preferred": False}
    return item
