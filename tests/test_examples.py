"""The example configurations load, beside the folder or database they name (never made)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fakes.fk import seeded
from framework.config import load_config
from framework.errors import ConfigError

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.toml"))


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "CLIENTBOOK_API_KEY",
        "SQUARE_ACCESS_TOKEN",
        "IDOSELL_API_KEY",
        "PODIUM_CLIENT_ID",
        "PODIUM_CLIENT_SECRET",
        "PODIUM_REFRESH_TOKEN",
    ):
        monkeypatch.setenv(name, "example-key")


def _pos_of(path: Path, folder: Path) -> Path:
    """Make what the example's POS system names, as its comments say (fake serve)."""
    if path.name.startswith("fk-"):
        seeded(folder / "subiekt.db").close()
        return folder / "subiekt.db"
    (folder / "edt").mkdir()
    return folder / "edt"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_configuration_is_valid(path: Path, tmp_path: Path):
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    _pos_of(path, tmp_path)
    config, _ = load_config(copy)
    assert config.pairs


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_without_its_pos_folder_or_database_fails_naming_it(path: Path, tmp_path: Path):
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    missing = tmp_path / ("subiekt.db" if path.name.startswith("fk-") else "edt")
    with pytest.raises(ConfigError) as info:
        load_config(copy)
    assert str(missing) in str(info.value)
    assert "\n" not in str(info.value)
    assert not missing.exists(), "never created"
