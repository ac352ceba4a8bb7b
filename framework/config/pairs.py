"""A configuration's pairs: each validated against the connectors of its two systems."""

from __future__ import annotations

from typing import Any

from framework.config.errors import suggest, validated
from framework.engine.flows import FlowSpec, PairSpec
from framework.engine.policies import POLICIES, RecordWins
from framework.errors import ConfigError
from framework.facade import Hooks
from framework.models import EntitySupport, SystemContext, SystemSettings
from framework.models.base import entity_model
from framework.presets import deep_merge, find_preset


def pair_spec(
    name: str, table: dict[str, Any], systems: dict[str, SystemSettings], source: str, hooks: Hooks
) -> PairSpec:
    """The pair ``name``: its preset's flows under its own, checked against its systems."""
    where = f"{source}: pairs.{name}"
    data = dict(table)
    flows: dict[str, Any] = {}
    if preset_name := data.get("preset"):
        try:
            preset = find_preset(hooks, str(preset_name))
        except KeyError as exc:
            raise ConfigError(f"{where}.preset: {exc.args[0]}") from None
        flows = preset.flows
        data.setdefault("interval_minutes", preset.interval_minutes)
    data["flows"] = deep_merge(flows, data.get("flows", {}))
    data["name"] = name
    pair: PairSpec = validated(PairSpec, data, source, ("pairs", name))
    _check_pair(pair, systems, hooks, where)
    return pair


def _check_pair(
    pair: PairSpec, systems: dict[str, SystemSettings], hooks: Hooks, where: str
) -> None:
    for side in ("pos", "platform"):
        system = getattr(pair, side)
        if system not in systems:
            known = ", ".join(sorted(systems)) or "none"
            raise ConfigError(f"{where}.{side}: no system named {system!r} (defined: {known})")
    for entity, flow in pair.flows.items():
        at = f"{where}.flows.{entity}"
        try:
            model = entity_model(entity)
        except KeyError as exc:
            raise ConfigError(f"{at}: {exc.args[0]}") from None
        for side in ("pos", "platform"):
            name = getattr(pair, side)
            info = hooks.describe(systems[name].connector)
            if flow.direction.value == "off":
                continue
            if entity not in info.entities:
                raise ConfigError(
                    f"{at}: connector {info.name!r} ({side}) does not support entity {entity!r}"
                )
            system = SystemContext(name=name, connector=info.name, settings=systems[name])
            if reason := hooks.check_flow(system, entity, flow.direction.value, side):
                raise ConfigError(f"{at}: {reason}")
        if flow.record_policy is not None and not isinstance(
            POLICIES.get(flow.record_policy), RecordWins
        ):
            raise ConfigError(
                f"{at}.record_policy: {flow.record_policy!r} is not a record-level "
                "policy (record_wins, winner_record)"
            )
        pos_support = hooks.describe(systems[pair.pos].connector).entities.get(entity)
        _check_names(flow, model, entity, at, pos_support)
        for field, rule in flow.fields.items():
            if rule.policy not in POLICIES:
                raise ConfigError(
                    f"{at}.fields.{field}.policy: unknown policy {rule.policy!r} "
                    f"(known: {', '.join(POLICIES)})"
                )


def _check_names(
    flow: FlowSpec, model: type[Any], entity: str, at: str, pos: EntitySupport | None
) -> None:
    """Every field a flow names, in filters, field rules and maps, and every match key, exists.

    A misspelt name would otherwise match nothing, silently: a filter on ``sync_flg`` puts
    every record out of scope.
    """
    fields = list(model.model_fields)

    def unknown(where: str, what: str, name: str, known: list[str]) -> ConfigError:
        return ConfigError(
            f"{where}: {entity} has no {what} {name!r}{suggest(name, known)}; "
            f"known: {', '.join(known) or 'none'}"
        )

    for side in ("pos_filter", "platform_filter"):
        for n, predicate in enumerate(getattr(flow, side)):
            if predicate.field not in fields:
                raise unknown(f"{at}.{side}[{n}].field", "field", predicate.field, fields)
    for name in flow.fields:
        if name not in fields:
            raise unknown(f"{at}.fields.{name}", "field", name, fields)
    keys = list(model.match_key_names)
    for option in ("match_on", "duplicate_keys"):
        for key in getattr(flow, option):
            if key not in keys:
                raise unknown(f"{at}.{option}", "match key", key, keys)
    for name, rule in flow.fields.items():
        held = pos.field_keys.get(name, []) if pos is not None else []
        for key in rule.map or {} if held else {}:
            if key not in held:
                raise ConfigError(
                    f"{at}.fields.{name}.map: the POS has no {name} key {key!r}"
                    f"{suggest(key, held)}; known: {', '.join(held)}"
                )
