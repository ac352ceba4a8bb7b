"""Declarative scenarios: files describing a pair, records, steps and the expected outcome.

``load(path)`` reads one; ``bundled_scenarios()`` are the ones shipped here (the examples
of the source documents); ``run_scenario`` plays one against the fakes through the real
engine. ``syncwright scenario run FILE`` and the suite's ``scenario`` check use them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from conformance.scenarios.model import Scenario
from framework.errors import SyncwrightError, describe


class ScenarioError(SyncwrightError):
    """A scenario file that cannot be read, or a step that cannot be played."""


def parse(text: str, source: str) -> Scenario:
    """A scenario from YAML or JSON text.

    Raises:
        ScenarioError: the text is not a valid scenario; the message names the source.
    """
    try:
        data: Any = json.loads(text) if source.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{source}: not valid YAML/JSON: {exc}") from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: {describe(exc)}") from None


def load(path: str | Path) -> Scenario:
    """Read one scenario file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{file}: {exc.strerror}") from None
    return parse(text, str(file))


@cache
def bundled_scenarios() -> tuple[Scenario, ...]:
    """The scenarios shipped with the suite, by file name."""
    folder = files("conformance.scenarios")
    found = sorted(
        (p for p in folder.iterdir() if p.name.endswith((".yaml", ".yml", ".json"))),
        key=lambda p: p.name,
    )
    return tuple(parse(p.read_text(encoding="utf-8"), p.name) for p in found)


def schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format."""
    out: dict[str, Any] = Scenario.model_json_schema(by_alias=True)
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = "syncwright conformance scenario"
    return out


__all__ = ["Scenario", "ScenarioError", "bundled_scenarios", "load", "parse", "schema"]
