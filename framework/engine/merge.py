"""The three-way merge: each side's record now, against that side's shadow, under the policies.

Both sides are compared in one naming (the POS's field and key names, POS ids); the
projection module puts them there. A field "changed" on a side when its value differs from
that side's shadow; with no shadow (a record just matched) every differing field counts as
changed on both sides, and the policies settle it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from framework.engine.flows import FlowSpec, Side
from framework.engine.policies import KEEP, FieldState, Outcome, RecordWins, get_policy
from framework.models.base import CanonicalRecord

View = Callable[[str, Any], Any]


@dataclass
class Decision:
    """One field that moves, toward which side, and the policy and rule that decided it."""

    field: str
    toward: Side
    policy: str
    rule: str | None


@dataclass
class MergeResult:
    """What to write to each side: full new values by field, and which fields changed."""

    to_pos: dict[str, Any] = field(default_factory=dict)
    to_platform: dict[str, Any] = field(default_factory=dict)
    pos_fields: list[str] = field(default_factory=list)
    platform_fields: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    def writes(self, side: Side) -> bool:
        """Whether anything is to be written to ``side``."""
        return bool(self.pos_fields if side == "pos" else self.platform_fields)


def same_view(_field: str, value: Any) -> Any:
    """The default view: a system stores what it is given."""
    return value


def merge(
    flow: FlowSpec,
    model: type[CanonicalRecord],
    pos: tuple[dict[str, Any], dict[str, Any] | None],
    platform: tuple[dict[str, Any], dict[str, Any] | None],
    platform_view: View = same_view,
) -> MergeResult:
    """Merge one linked record.

    Args:
        flow: the entity's flow (field rules, winner, record policy).
        model: the canonical model (for list element identity).
        pos: the POS record now and its shadow (``None`` when there is none yet).
        platform: the platform record now and its shadow, in POS naming.
        platform_view: what the platform would store of a value written to it (a system
            holding one e-mail keeps the preferred one); used to skip writes that change
            nothing.

    Returns:
        The writes each side needs and the decisions behind them.
    """
    states = _states(flow, model, pos, platform)
    outcomes = _record_level(flow, states)
    result = MergeResult()
    for state in states:
        base, _, _ = state.field.partition(".")
        rule = flow.fields[base]
        own = get_policy(rule.policy)
        policy_name, rule_id = rule.policy, rule.rule
        if outcomes is not None and own.yields_to_record:
            outcome = outcomes.get(state.field)
            if outcome is None:
                continue  # the record-level policy decided and this field does not move
            if outcome != own.resolve(state):  # credit the record-level rule where it decided
                policy_name = flow.record_policy or rule.policy
                rule_id = flow.record_rule or rule.rule
        else:
            outcome = own.resolve(state)
        if rule.keep_filled:
            outcome = _kept_filled(state, outcome)
        _collect(result, state, outcome, policy_name, rule_id, model, platform_view)
    return result


def _kept_filled(state: FieldState, outcome: Outcome) -> Outcome:
    """``keep_filled``: a value turning empty is not written over a filled one."""
    to_platform, to_pos = outcome.to_platform, outcome.to_pos
    if to_platform is not KEEP and _empty(to_platform) and not _empty(state.platform):
        to_platform = KEEP
    if to_pos is not KEEP and _empty(to_pos) and not _empty(state.pos):
        to_pos = KEEP
    return Outcome(to_platform=to_platform, to_pos=to_pos)


def _record_level(flow: FlowSpec, states: list[FieldState]) -> dict[str, Outcome] | None:
    if not flow.record_policy:
        return None
    policy = get_policy(flow.record_policy)
    if not isinstance(policy, RecordWins):
        raise ValueError(f"{flow.record_policy!r} is not a record-level policy")
    yielding = [
        s
        for s in states
        if get_policy(flow.fields[s.field.partition(".")[0]].policy).yields_to_record
    ]
    changed = (any(s.pos_changed for s in states), any(s.platform_changed for s in states))
    return policy.resolve_record(yielding, flow.winner, changed)


def _states(
    flow: FlowSpec,
    model: type[CanonicalRecord],
    pos: tuple[dict[str, Any], dict[str, Any] | None],
    platform: tuple[dict[str, Any], dict[str, Any] | None],
) -> list[FieldState]:
    (pos_now, pos_old), (plat_now, plat_old) = pos, platform
    states: list[FieldState] = []
    for name, rule in flow.fields.items():
        if rule.policy == "ignore":
            continue
        direction = flow.field_direction(name)
        identity = _identity(model, name)
        for key in _subkeys(name, pos_now, plat_now, pos_old, plat_old):
            p_now, q_now = _get(pos_now, key), _get(plat_now, key)
            p_old = _get(pos_old, key) if pos_old is not None else _MISSING
            q_old = _get(plat_old, key) if plat_old is not None else _MISSING
            first_sync = pos_old is None or plat_old is None
            states.append(
                FieldState(
                    field=key,
                    pos=p_now,
                    platform=q_now,
                    pos_changed=_changed(p_now, p_old, identity, first_sync, q_now),
                    platform_changed=_changed(q_now, q_old, identity, first_sync, p_now),
                    direction=direction,
                    winner=flow.winner,
                    identity=identity,
                    pos_old=None if p_old is _MISSING else p_old,
                    platform_old=None if q_old is _MISSING else q_old,
                )
            )
    return states


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


_MISSING = _Missing()


def _subkeys(name: str, *records: dict[str, Any] | None) -> list[str]:
    """A dict field is merged key by key (``custom.Ring size``); others as a whole."""
    values = [r.get(name) for r in records if r is not None]
    if not any(isinstance(v, dict) for v in values):
        return [name]
    keys: set[str] = set()
    for value in values:
        if isinstance(value, dict):
            keys.update(value)
    return [f"{name}.{k}" for k in sorted(keys)]


def _get(record: dict[str, Any] | None, key: str) -> Any:
    if record is None:
        return None
    name, dot, sub = key.partition(".")
    value = record.get(name)
    if dot:
        return value.get(sub) if isinstance(value, dict) else None
    return value


def _changed(
    now: Any,
    old: Any,
    identity: Callable[[Any], Hashable],
    first_sync: bool,
    other_now: Any,
) -> bool:
    if first_sync:
        # Just matched: a value the other side lacks counts as a change of this side; an
        # empty value is missing data, never a change that would blank the other side.
        return not _empty(now) and not equal(now, other_now, identity)
    return not equal(now, old, identity, strict=True)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def equal(a: Any, b: Any, identity: Callable[[Any], Hashable], strict: bool = False) -> bool:
    """Compare two field values; lists by element identity unless ``strict``."""
    if isinstance(a, list) or isinstance(b, list):
        if strict:
            return (a or []) == (b or [])
        return [identity(x) for x in a or []] == [identity(x) for x in b or []]
    return bool(a == b) or (a in (None, "", {}) and b in (None, "", {}))


def _identity(model: type[CanonicalRecord], name: str) -> Callable[[Any], Hashable]:
    def identity(item: Any) -> Hashable:
        return model.item_identity(name, item)

    return identity


def _collect(
    result: MergeResult,
    state: FieldState,
    outcome: Outcome,
    policy: str,
    rule: str | None,
    model: type[CanonicalRecord],
    platform_view: View,
) -> None:
    identity = state.identity
    base, dot, sub = state.field.partition(".")
    if outcome.to_platform is not KEEP:
        seen = platform_view(base, outcome.to_platform) if not dot else outcome.to_platform
        if not equal(seen, state.platform, identity):
            _put(result.to_platform, base, sub if dot else None, outcome.to_platform)
            result.platform_fields.append(state.field)
            result.decisions.append(Decision(state.field, "platform", policy, rule))
    if outcome.to_pos is not KEEP and not equal(outcome.to_pos, state.pos, identity, strict=True):
        _put(result.to_pos, base, sub if dot else None, outcome.to_pos)
        result.pos_fields.append(state.field)
        result.decisions.append(Decision(state.field, "pos", policy, rule))


def _put(target: dict[str, Any], base: str, sub: str | None, value: Any) -> None:
    if sub is None:
        target[base] = value
        return
    bucket = target.setdefault(base, {})
    if value is None:
        bucket.pop(sub, None)
        bucket[sub] = None
    else:
        bucket[sub] = value
