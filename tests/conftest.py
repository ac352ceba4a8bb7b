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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """What each fidelity run generated and found (xdist workers' output is not shown)."""
    lines = [
        value
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        for key, value in getattr(report, "user_properties", [])
        if key == "fidelity"
    ]
    if lines:
        terminalreporter.section("fidelity (schemathesis)")
        for line in sorted(lines):
            terminalreporter.line(line)


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


@pytest.fixture
def pg() -> Iterator[object]:
    """A PostgreSQL schema of the test's own (skips in one line without a server; CI fails)."""
    from tests.services import postgres_schema

    yield from postgres_schema()
