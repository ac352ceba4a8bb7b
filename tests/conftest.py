from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import World


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fidelity-examples",
        default="5",
        help="schemathesis examples per operation in the fidelity tests (nox -s fidelity: more)",
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[object]:
    made: list[World] = []

    def make(overrides: dict | None = None, systems: dict | None = None) -> World:
        w = World(tmp_path / f"w{len(made)}", overrides, systems)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()
