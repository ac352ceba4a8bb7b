"""The configuration file: clear one-line errors naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from framework.config import load_config
from framework.errors import ConfigError

GOOD = """
[state]
path = "state.db"

[systems.edge]
connector = "edge"
folder = "edt"
store_license_id = "1001"

[systems.clientbook]
connector = "clientbook"
base_url = "https://api.clientbook.example"
api_key = "env:CB_KEY_FOR_TEST"

[pairs.store]
preset = "edge-clientbook"
pos = "edge"
platform = "clientbook"
default_associate = "1"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "syncwright.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert "\n" not in message, "one line"
    assert message.startswith(str(tmp_path / "syncwright.toml")), "names the file"
    return message


def test_a_good_file_loads_with_the_preset_and_relative_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "s3cret-key")
    config, _hooks = load_config(write(tmp_path, GOOD))
    pair = config.pairs["store"]
    assert pair.flows["customer"].fields["emails"].policy == "append_as_new"
    assert config.state_path == tmp_path / "state.db"
    assert config.systems["edge"].folder == tmp_path / "edt"  # type: ignore[attr-defined]
    assert config.systems["clientbook"].api_key.get_secret_value() == "s3cret-key"  # type: ignore[attr-defined]
    assert "s3cret" not in repr(config.systems["clientbook"])


def test_unknown_key_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    message = error_of(
        tmp_path,
        GOOD.replace('store_license_id = "1001"', 'store_license_id = "1001"\nfolderr = "x"'),
    )
    assert "systems.edge.folderr: unknown key" in message


def test_bad_value_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    message = error_of(tmp_path, GOOD.replace('"https://api.clientbook.example"', '"not a url"'))
    assert "systems.clientbook.base_url" in message


def test_missing_environment_variable_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv("CB_KEY_FOR_TEST", raising=False)
    assert "CB_KEY_FOR_TEST is not set" in error_of(tmp_path, GOOD)


def test_unknown_connector_lists_the_installed_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    message = error_of(tmp_path, GOOD.replace('connector = "edge"', 'connector = "egde"'))
    assert "systems.edge.connector" in message
    assert "clientbook" in message


def test_unknown_preset_policy_and_system_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    assert "pairs.store.preset: unknown preset 'edge-clientbok'" in error_of(
        tmp_path, GOOD.replace('preset = "edge-clientbook"', 'preset = "edge-clientbok"')
    )
    assert "pairs.store.flows.customer.fields.emails.policy: unknown policy 'apend'" in error_of(
        tmp_path, GOOD + '[pairs.store.flows.customer.fields.emails]\npolicy = "apend"\n'
    )
    assert "pairs.store.platform: no system named 'clientbok'" in error_of(
        tmp_path, GOOD.replace('platform = "clientbook"', 'platform = "clientbok"')
    )


@pytest.mark.rule("G-8")
def test_default_associate_is_required_when_the_pair_writes_into_the_pos(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    message = error_of(tmp_path, GOOD.replace('default_associate = "1"\n', ""))
    assert "default_associate is required" in message


def test_not_toml_and_missing_file(tmp_path):
    assert "not valid TOML" in error_of(tmp_path, "[state\npath=")
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "nope.toml")


def test_a_connector_refuses_a_flow_its_system_cannot_take_part_in(tmp_path, monkeypatch):
    """check_flow: a refusal makes the configuration invalid, naming the flow and the reason."""
    from framework.facade import Hooks
    from framework.models import SystemContext
    from framework.plugin_manager import get_plugin_manager
    from plugins.clientbook import ClientbookConnector
    from plugins.edge import plugin as edge

    class NoNotes(ClientbookConnector):
        def refuse(self, system, entity, direction, side):
            if entity == "note" and side == "platform":
                return f"X-1: {system.name} has no notes on its plan ({direction})"
            return None

    monkeypatch.setenv("CB_KEY_FOR_TEST", "s3cret-key")
    pm = get_plugin_manager(entry_points=False)
    pm.register(edge, name="edge")
    pm.register(NoNotes(), name="clientbook")
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, GOOD), hooks=Hooks(pm))
    assert str(info.value).endswith(
        "pairs.store.flows.note: X-1: clientbook has no notes on its plan (both)"
    )
    off = GOOD + '\n[pairs.store.flows.note]\ndirection = "off"\n'
    config, hooks = load_config(write(tmp_path, off), hooks=Hooks(pm))
    assert config.pairs["store"].flows["note"].direction.value == "off"
    edge_system = SystemContext(name="edge", connector="edge", settings=config.systems["edge"])
    # The hook answers only for its own connector's systems.
    assert hooks.check_flow(edge_system, "note", "both", "platform") is None
