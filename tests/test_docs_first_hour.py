"""What a new user reads first holds: the README's commands exist, it says how long the
tests take and how to run fewer, and the third-party path installs syncwright first."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from conformance.plugin import SUBJECT_OPTION
from tests.test_demos_keep_state import assert_valid

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
THIRD_PARTY = (ROOT / "examples" / "thirdparty-connector" / "README.md").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_command_the_readme_shows_exists():
    block = README.split("## Using it")[1].split("```sh")[1].split("```")[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    lines = [line for line in commands if line]  # a comment may go on over a second line
    assert len(lines) >= 15
    for line in lines:
        assert_valid(line)


def test_the_readme_says_how_long_the_tests_take_and_how_to_run_fewer():
    top = README.split("---")[0]
    assert re.search(r"takes about \d+ minutes", top), "the test command's time"
    assert '.venv/bin/nox -s tests -- -m "not slow"' in top
    assert any(m.startswith("slow:") for m in PYPROJECT["tool"]["pytest"]["ini_options"]["markers"])


def test_writing_a_connector_names_the_subject_option():
    section = README.split("## Writing a connector")[1]
    assert SUBJECT_OPTION in section
    assert "check_system" in section


def test_the_third_party_example_installs_syncwright_first():
    own = THIRD_PARTY.index("pip install '.[conformance]'")
    theirs = THIRD_PARTY.index("pip install ./examples/thirdparty-connector")
    assert own < theirs
    assert any(
        d.startswith("pytest") for d in PYPROJECT["project"]["optional-dependencies"]["conformance"]
    )
    assert SUBJECT_OPTION in THIRD_PARTY
