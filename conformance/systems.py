"""Systems under test: a plugin manager holding the subjects, and their configured systems."""

from __future__ import annotations

import os
import uuid
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


# ``postgresql://...``: every world keeps its state there instead (``nox -s postgres``), each
# under a tenant of its own in the schema ``conformance``.
STORE_VARIABLE = "SYNCWRIGHT_CONFORMANCE_STORE"
_upgraded: set[str] = set()


def base_config(tmp: Path) -> dict[str, Any]:
    """State in ``tmp`` and quick retries: a check should fail fast, not wait.

    With ``STORE_VARIABLE`` set, the state is in PostgreSQL, under a tenant of this world's.
    """
    url = os.environ.get(STORE_VARIABLE)
    if not url:
        return {"state": {"path": str(tmp / "state.db")}, "engine": dict(FAST_RETRIES)}
    if url not in _upgraded:
        from framework.state.postgres import upgrade

        upgrade(url, "conformance")
        _upgraded.add(url)
    state = {"url": url, "schema": "conformance", "tenant": uuid.uuid4().hex}
    return {"state": state, "engine": dict(FAST_RETRIES)}
