"""Every fake takes the options it documents (``syncwright fake list``) and refuses others."""

from __future__ import annotations

import importlib
import importlib.metadata
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fakes.fk import FkDatabase
from framework.cli.app import app
from framework.errors import ConfigError

runner = CliRunner(env={"COLUMNS": "200"})

FAKES = sorted(ep.name for ep in importlib.metadata.entry_points(group="syncwright.fakes"))


def fake(name: str) -> Any:
    (ep,) = [e for e in importlib.metadata.entry_points(group="syncwright.fakes") if e.name == name]
    return ep.load()


def test_every_bundled_fake_is_registered():
    assert FAKES == ["clientbook", "edge", "fk", "idosell", "podium", "square"]


@pytest.mark.parametrize("name", FAKES)
def test_an_unknown_option_is_refused_naming_it_and_the_known_ones(name: str):
    entry = fake(name)
    with pytest.raises(ConfigError) as info:
        entry.serve({"seed": 1, "queue_dealy": 5})
    message = str(info.value)
    assert "'queue_dealy'" in message
    assert "\n" not in message
    for option in entry.options.model_fields:
        assert option in message


@pytest.mark.parametrize("name", FAKES)
def test_fake_list_documents_every_option(name: str):
    result = runner.invoke(app, ["fake", "list"])
    assert result.exit_code == 0, result.output
    section = result.output.split(f"{name}: ")[1]
    for option, _, description in fake(name).describe():
        assert option in section
        assert description.split()[0] in section


@pytest.mark.parametrize("name", ["clientbook", "idosell", "square", "podium"])
def test_http_fakes_do_not_take_a_folder_nor_file_fakes_a_port(name: str):
    with pytest.raises(ConfigError, match="'folder'"):
        fake(name).parse({"folder": "x"})
    for file_fake in ("edge", "fk"):
        with pytest.raises(ConfigError, match="'port'"):
            fake(file_fake).parse({"port": 8801})


def built(name: str, given: dict[str, Any]) -> Any:
    entry = fake(name)
    return importlib.import_module(f"fakes.{name}").build(entry.parse(given))


def test_clientbook_options_take_effect():
    state, _ = built("clientbook", {"queue_delay": 5, "api_key": "k", "seed": 3})
    assert state.queue_delay == 5
    assert state.api_key == "k"
    assert sum(1 for _ in state.clients.live()) == 3


def test_square_options_take_effect():
    state, _ = built("square", {"search_lag": 2.5, "api_key": "tok", "seed": 4})
    assert state.search_lag == 2.5
    assert state.token == "tok"
    assert sum(1 for _ in state.customers.live()) == 4


def test_podium_options_take_effect():
    state, _ = built(
        "podium",
        {
            "tier": "clientele",
            "generate_titles": False,
            "visibility_delay": 0,
            "token_ttl": 60,
            "api_key": "refresh",
            "rate_limit": {"requests": 5, "window": 1},
        },
    )
    assert state.tier == "clientele"
    assert state.generate_titles is False
    assert state.queue.delay == 0
    assert state.oauth.ttl == 60
    assert state.oauth.refresh_token == "refresh"


def test_idosell_options_take_effect():
    state, _ = built("idosell", {"api_key": "ido", "seed": 2})
    assert state.api_key == "ido"
    assert len(state.clients) == 2


def test_edge_options_take_effect(tmp_path: Path):
    edge = built("edge", {"folder": str(tmp_path), "store_license_id": "2002", "seed": 5})
    assert edge.folder == tmp_path / "2002"
    assert len(edge.customers) == 5
    assert fake("edge").parse({"interval": 5}).interval == 5


@pytest.mark.parametrize("flavour", ["subiekt_gt", "wf_mag", "generic"])
def test_fk_options_take_effect(tmp_path: Path, flavour: str):
    path = built("fk", {"folder": str(tmp_path), "flavour": flavour, "seed": 3})
    db = FkDatabase(path, flavour)
    try:
        assert db.count() == 3
    finally:
        db.close()
