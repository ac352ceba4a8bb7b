"""Pair presets: the flows of a known pair, as data contributed by plugins (``provide_presets``).

A preset file is TOML::

    name = "edge-clientbook"
    pos_connector = "edge"
    platform_connector = "clientbook"
    [flows.customer]
    direction = "both"
    [flows.customer.fields.emails]
    policy = "append_as_new"
    rule = "CB-3"

A pair in the configuration names a preset and may override any part of its flows.
"""

from __future__ import annotations

import copy
import tomllib
from importlib.resources.abc import Traversable
from typing import Any

from framework.engine.flows import Preset
from framework.facade import Hooks


def read_preset(resource: Traversable) -> dict[str, Any]:
    """Parse one preset file shipped as package data."""
    return tomllib.loads(resource.read_text(encoding="utf-8"))


def find_preset(hooks: Hooks, name: str) -> Preset:
    """The preset called ``name``.

    Raises:
        KeyError: no installed plugin provides it; the message lists those that exist.
    """
    found = {p.get("name"): p for p in hooks.presets()}
    if name not in found:
        known = ", ".join(sorted(str(n) for n in found)) or "none"
        raise KeyError(f"unknown preset {name!r} (installed presets: {known})")
    return Preset.model_validate(found[name])


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` laid over it, tables merged key by key, the rest replaced."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
