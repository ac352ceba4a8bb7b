"""The one plugin-manager factory: hook specs, built-in fallbacks, connectors from entry points.

Nothing happens at import time. Connectors are found only through the entry-point group
``syncwright.plugins`` (bundled ones too), limited by the configuration's allow-list. A
connector that fails to import is reported with its distribution's name and skipped, unless
``strict`` (CI) asks for the failure to stop everything.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterable

import pluggy

from framework import builtin, hookspecs
from framework.errors import PluginError
from framework.markers import PROJECT

ENTRY_POINT_GROUP = "syncwright.plugins"

log = logging.getLogger(__name__)


def get_plugin_manager(
    allow: Iterable[str] | None = None,
    *,
    strict: bool = False,
    entry_points: bool = True,
) -> pluggy.PluginManager:
    """Build a plugin manager with the hook specs, the fallbacks and the allowed connectors.

    Args:
        allow: names of the connectors to load; ``None`` loads every installed one.
        strict: raise :class:`PluginError` when an allowed connector is missing or broken,
            instead of warning.
        entry_points: load connectors from entry points (tests that register their own
            plugins pass ``False``).
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(builtin.IndexMatcher(), name="syncwright.index-matcher")
    pm.register(builtin.DefaultAssociate(), name="syncwright.default-associate")
    if entry_points:
        load_connectors(pm, allow, strict=strict)
    return pm


def load_connectors(
    pm: pluggy.PluginManager, allow: Iterable[str] | None, *, strict: bool = False
) -> list[str]:
    """Load the allowed connectors from entry points; returns the names loaded."""
    wanted = None if allow is None else set(allow)
    loaded: list[str] = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if (wanted is not None and ep.name not in wanted) or pm.has_plugin(ep.name):
            continue
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=ep.name)
        except Exception as exc:
            dist = ep.dist.name if ep.dist is not None else "an unknown distribution"
            message = f"connector {ep.name!r} from {dist} failed to load: {exc}"
            if strict:
                raise PluginError(message) from exc
            log.warning("%s (skipped)", message)
            continue
        loaded.append(ep.name)
    missing = (wanted or set()) - set(loaded) - {n for n, _ in pm.list_name_plugin()}
    if missing:
        message = f"allowed connector(s) not installed: {', '.join(sorted(missing))}"
        if strict:
            raise PluginError(message)
        log.warning(message)
    return loaded
