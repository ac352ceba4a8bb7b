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
    (tmp_path / "edt").mkdir(exist_ok=True)
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


# -- no silent misconfiguration: what names nothing fails at load, naming what it knows -------


def test_a_filter_on_a_field_that_does_not_exist_fails_at_load(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    message = error_of(
        tmp_path,
        GOOD + '[pairs.store.flows.customer]\npos_filter = [{ field = "sync_flg", eq = true }]\n',
    )
    assert "pairs.store.flows.customer.pos_filter[0].field" in message
    assert "'sync_flg'" in message
    assert "did you mean 'sync_flag'" in message
    assert "known: " in message
    assert "first_name" in message


def test_a_field_rule_on_an_unknown_field_lists_the_known_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    message = error_of(
        tmp_path, GOOD + '[pairs.store.flows.customer.fields.emial]\npolicy = "overwrite"\n'
    )
    assert "pairs.store.flows.customer.fields.emial" in message
    assert "did you mean 'emails'" in message
    assert "known: " in message
    assert "phones" in message


def test_an_unknown_match_key_fails_at_load(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    message = error_of(tmp_path, GOOD + '[pairs.store.flows.customer]\nmatch_on = ["mail"]\n')
    assert "pairs.store.flows.customer.match_on" in message
    assert "'mail'" in message
    assert "known: email, phone" in message
    message = error_of(
        tmp_path, GOOD + '[pairs.store.flows.customer]\nduplicate_keys = ["phnoe"]\n'
    )
    assert "duplicate_keys" in message
    assert "did you mean 'phone'" in message


def test_a_field_map_naming_a_key_the_pos_does_not_have_fails_at_load(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    message = error_of(
        tmp_path,
        GOOD + "[pairs.store.flows.customer.fields.custom]\n"
        'map = { CustomerKey1 = "Ring size", CustomrKey2 = "Metal" }\n',
    )
    assert "pairs.store.flows.customer.fields.custom.map" in message
    assert "'CustomrKey2'" in message
    assert "did you mean 'CustomerKey2'" in message


def test_a_misspelt_system_key_is_named_with_the_missing_one(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    message = error_of(tmp_path, GOOD.replace("base_url =", "base_ulr ="))
    assert "systems.clientbook.base_ulr: unknown key (did you mean 'base_url'?)" in message
    assert "systems.clientbook.base_url: Field required" in message
    assert message.index("base_ulr") < message.index("Field required"), "the cause first"


def test_a_misspelt_allowed_connector_is_named_not_the_right_one(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    message = error_of(tmp_path, '[plugins]\nallow = ["edge", "clientbok"]\n' + GOOD)
    assert "plugins.allow: no installed connector is named 'clientbok'" in message
    assert "did you mean 'clientbook'" in message
    assert "systems.clientbook" not in message


def test_a_connector_left_out_of_the_allow_list_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    message = error_of(tmp_path, '[plugins]\nallow = ["edge"]\n' + GOOD)
    assert "systems.clientbook.connector: connector 'clientbook' is not in plugins.allow" in (
        message
    )


def test_an_edge_folder_that_does_not_exist_fails_at_load_and_is_not_made(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_KEY_FOR_TEST", "k")
    path = write(tmp_path, GOOD.replace('folder = "edt"', 'folder = "edt-typo"'))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "systems.edge.folder" in str(info.value)
    assert str(tmp_path / "edt-typo") in str(info.value)
    assert not (tmp_path / "edt-typo").exists()
