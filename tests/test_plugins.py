"""Connectors are found through entry points, with an allow-list, and hooks are documented."""

from __future__ import annotations

import importlib.metadata
import inspect
import logging

import pytest

from framework import hookspecs
from framework.errors import PluginError
from framework.facade import Hooks
from framework.markers import hookimpl
from framework.models import ConnectorInfo, EntitySupport
from framework.plugin_manager import ENTRY_POINT_GROUP, get_plugin_manager


def test_bundled_connectors_are_found_through_entry_points_not_imports():
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert names["edge"] == "plugins.edge:plugin"
    assert names["clientbook"] == "plugins.clientbook:plugin"
    pm = get_plugin_manager()
    loaded = {pm.get_name(plugin): dist.project_name for plugin, dist in pm.list_plugin_distinfo()}
    assert loaded["edge"] == "syncwright"
    assert loaded["clientbook"] == "syncwright"


def test_allow_list_loads_only_what_it_names():
    pm = get_plugin_manager(allow=["edge"])
    assert Hooks(pm).connector_names() == ["edge"]
    with pytest.raises(PluginError, match="no installed connector is named 'clientbook'"):
        Hooks(pm).describe("clientbook")


def test_a_broken_connector_warns_with_its_distribution_or_fails_in_strict_mode(
    tmp_path, monkeypatch, caplog
):
    info = tmp_path / "broken_connector-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-connector\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nbroken = no_such_module_anywhere:plugin\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with caplog.at_level(logging.WARNING):
        pm = get_plugin_manager(allow=["broken", "edge"])
    assert "connector 'broken' from broken-connector failed to load" in caplog.text
    assert "edge" in Hooks(pm).connector_names(), "one broken plugin does not stop the others"
    with pytest.raises(PluginError, match="broken-connector"):
        get_plugin_manager(allow=["broken"], strict=True)


def test_missing_allowed_connector_is_reported_in_strict_mode():
    with pytest.raises(PluginError, match="not installed: nope"):
        get_plugin_manager(allow=["nope"], strict=True)


def test_a_plugin_defined_in_a_test_answers_only_for_its_own_systems():
    class Mini:
        @hookimpl
        def describe_connector(self, connector):
            if connector != "mini":
                return None
            return ConnectorInfo(name="mini", side="any", entities={"customer": EntitySupport()})

    pm = get_plugin_manager(entry_points=False)
    pm.register(Mini(), name="mini")
    hooks = Hooks(pm)
    assert hooks.describe("mini").side == "any"
    with pytest.raises(PluginError):
        hooks.describe("other")


@pytest.mark.parametrize(
    "name", [n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "syncwright_spec")]
)
def test_every_hook_is_documented_and_annotated(name):
    spec = getattr(hookspecs, name)
    doc = inspect.getdoc(spec) or ""
    assert "Called" in doc, f"{name}: say who calls it and when"
    assert "Returns:" in doc, f"{name}: say what it returns"
    assert "None" in doc or name == "provide_presets", f"{name}: say what None means"
    hints = inspect.get_annotations(spec)
    assert "return" in hints
    assert all(p in hints for p in inspect.signature(spec).parameters)
    if spec.syncwright_spec["firstresult"]:
        assert "Stops at first non-None result" in doc


def test_every_hook_has_a_test_that_calls_it():
    import pathlib

    tests = "\n".join(p.read_text() for p in pathlib.Path(__file__).parent.rglob("test_*.py"))
    engine = "\n".join(p.read_text() for p in pathlib.Path(hookspecs.__file__).parent.rglob("*.py"))
    for name in (
        "describe_connector",
        "fetch_changes",
        "apply_change",
        "apply_batch",
        "match_record",
        "map_associate",
        "check_flow",
        "provide_presets",
    ):
        assert name in engine, f"{name} is never called by the framework"
    assert "hooks.describe" in tests
