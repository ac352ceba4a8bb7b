"""The example configurations load as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from framework.config import load_config

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_configuration_is_valid(path, monkeypatch):
    for name in (
        "CLIENTBOOK_API_KEY",
        "SQUARE_ACCESS_TOKEN",
        "IDOSELL_API_KEY",
        "PODIUM_CLIENT_ID",
        "PODIUM_CLIENT_SECRET",
        "PODIUM_REFRESH_TOKEN",
    ):
        monkeypatch.setenv(name, "example-key")
    config, _ = load_config(path)
    assert config.pairs
