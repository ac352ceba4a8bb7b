"""Systems under test: a plugin manager holding the subjects, and their configured systems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.subject import Subject
from framework.facade import Hooks
from framework.plugin_manager import get_plugin_manager, load_connectors

FAST_RETRIES = {"retry_attempts": 4, "retry_initial_wait": 0.001, "retry_max_wait": 0.01}


def hooks_for(*subjects: Subject) -> Hooks:
    """A plugin manager with the subjects' connectors (their own objects, or entry points).

    Raises:
        PluginError: a connector to load from entry points is missing or broken.
    """
    pm = get_plugin_manager(entry_points=False)
    for subject in subjects:
        if pm.has_plugin(subject.connector):
            continue
        if subject.plugin is not None:
            pm.register(subject.plugin, name=subject.connector)
        else:
            load_connectors(pm, [subject.connector], strict=True)
    return Hooks(pm)


def system_table(subject: Subject, settings: dict[str, Any]) -> dict[str, Any]:
    """The ``[systems.NAME]`` table of a subject's system."""
    return {**settings, "connector": subject.connector}


def base_config(tmp: Path) -> dict[str, Any]:
    """State in ``tmp`` and quick retries: a check should fail fast, not wait."""
    return {"state": {"path": str(tmp / "state.db")}, "engine": dict(FAST_RETRIES)}
