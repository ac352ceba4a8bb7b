"""The conformance suite as a pytest plugin: inert unless asked, then the checks and the matrix.

Runs pytest inside pytest (``pytester``), the way a connector author's project would.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest

from conformance.checks import all_checks, plan
from conformance.checks.target import resolve
from conformance.matrix import cells, render
from conformance.samples import KINDS
from conformance.subject import ENTRY_POINT_GROUP, load_subjects

pytest_plugins = ["pytester"]

RULES = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
BUNDLED = [
    "edge",
    "clientbook",
    "podium",
    "square",
    "fk",
    "fk-wf-mag",
    "fk-generic",
    "idosell",
    "memory",
]
UNRELATED = """
import sys

def test_unrelated(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("syncwright"), "the plugin is loaded"
    packages = ("framework", "fakes", "plugins", "conformance")
    ours = sorted(m for m in sys.modules if m.split(".")[0] in packages)
    assert ours == ["conformance", "conformance.plugin"], ours
    heavy = [m for m in ("pydantic", "starlette", "typer", "yaml", "vcr") if m in sys.modules]
    assert heavy == [], heavy
"""


def test_the_plugin_is_registered_under_pytest11():
    found = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    assert found["syncwright"] == "conformance.plugin"


def test_an_unrelated_run_gains_no_test_no_fixture_and_no_import(pytester: pytest.Pytester):
    pytester.makepyfile(test_unrelated=UNRELATED)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "syncwright conformance" not in result.stdout.str()
    fixtures = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    assert "conformance" not in fixtures.stdout.str()
    assert "--syncwright-conformance" in pytester.runpytest_subprocess("--help").stdout.str()


@pytest.mark.slow  # the whole suite, in a pytester run
def test_the_option_runs_the_suite_alone_and_ends_with_the_matrix(pytester: pytest.Pytester):
    pytester.makepyfile(test_unrelated="def test_unrelated():\n    pass\n")
    result = pytester.runpytest(
        "--syncwright-conformance", "--syncwright-subject", "memory", "-p", "no:cacheprovider"
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0
    assert outcomes["passed"] > 40
    assert "test_unrelated" not in result.stdout.str(), "no test paths given: the suite alone"
    result.stdout.fnmatch_lines(["*syncwright conformance: rule x connector*", "rule*memory*"])
    result.stdout.re_match_lines([r"G-4\s+pass \(\d+\)", r"IS-2\s+pass \(\d+\)"])


def test_the_option_beside_test_paths_runs_both(pytester: pytest.Pytester):
    pytester.makepyfile(test_unrelated="def test_unrelated():\n    pass\n")
    result = pytester.runpytest(
        "test_unrelated.py",
        "--syncwright-conformance",
        "--syncwright-subject",
        "memory",
        "-k",
        "unrelated or (full_fetch and customer)",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=2)


def test_a_test_module_uses_the_factory_in_three_lines(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_mine="""
        from conformance import conformance_tests
        from conformance.memory import subject
        TestMine = conformance_tests(subject, checks=["full_fetch", "paging", "record_wins"])
        """
    )
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    entities = len(KINDS)  # memory holds every entity; record_wins is a customer rule
    result.assert_outcomes(passed=2 * entities + 2, skipped=2 * (entities - 1))
    result.stdout.fnmatch_lines(["*test_full_fetch?memory-customer? PASSED*"])
    result.stdout.re_match_lines([rf"G-2\s+pass \({2 * entities}\)", r"IS-2\s+pass \(2\)"])


def test_an_unknown_subject_is_a_clear_error(pytester: pytest.Pytester):
    result = pytester.runpytest(
        "--syncwright-conformance", "--syncwright-subject", "nope", "-p", "no:cacheprovider"
    )
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*no conformance subject named 'nope' (installed: *memory*"])


def test_the_bundled_subjects_are_declared_through_entry_points():
    names = {ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert set(BUNDLED) <= names
    assert [s.connector for s in load_subjects(["edge", "clientbook"])] == ["edge", "clientbook"]


def test_every_check_cites_rules_that_exist():
    known = set(re.findall(r"^### ([A-Z]{1,2}-\d+) ", RULES.read_text(encoding="utf-8"), re.M))
    assert len(known) > 30
    for name, check in all_checks().items():
        assert check.rules, f"{name} cites no rule"
        assert set(check.rules) <= known, f"{name} cites {set(check.rules) - known}"
        assert check.summary, f"{name} has no docstring"


@pytest.mark.parametrize("name", BUNDLED)
def test_every_rule_a_bundled_connector_claims_has_a_check(name: str):
    target = resolve(load_subjects([name])[0])
    cases = [case for check in all_checks().values() for case in plan(target, check)]
    cited = {rule for case in cases if case.skip is None for rule in case.rules}
    assert not target.rules - cited, f"{name} claims rules no case planned for it cites"


def test_claims_say_what_a_connector_cannot_and_the_checks_say_why_they_skip():
    fk = resolve(load_subjects(["fk"])[0])
    cases = {
        (case.check.name, case.variant.param): case
        for check in all_checks().values()
        for case in plan(fk, check)
        if case.variant.entity == "customer"
    }
    assert fk.claims["customer"].feed == "full"
    assert "deletes_reported = False" in str(cases[("deletes_reported", None)].skip)
    assert "does not create" in str(cases[("create_round_trip", None)].skip)
    assert cases[("cursor_intermediate", None)].skip is None, "a full read is still checked"
    assert cases[("direction", "both")].skip is None, "both ways, with creating switched off"
    idosell = resolve(load_subjects(["idosell"])[0])
    assert idosell.claims["customer"].required == {"shops": ["1"]}


def _row(subject: str, check: str, rules: list[str], outcome: str, reason: str = "") -> dict:
    claimed = ["G-1", "G-3", "CB-3"]
    return {
        "subject": subject,
        "check": check,
        "variant": "customer",
        "rules": rules,
        "claimed": claimed,
        "outcome": outcome,
        "reason": reason,
    }


def test_the_matrix_cells_say_pass_fail_not_claimed_and_na():
    results = [
        _row("a", "direction", ["G-1"], "passed"),
        _row("a", "direction", ["G-1"], "failed"),
        _row("a", "match", ["G-3"], "skipped", "n/a: cannot"),
        _row("a", "record_wins", ["IS-2"], "skipped", "not claimed: a claims none of IS-2"),
        _row("b", "direction", ["G-1"], "passed"),
    ]
    table = cells(results)
    assert table["G-1"] == {"a": "FAIL (1 of 2)", "b": "pass (1)"}
    assert table["G-3"]["a"] == "n/a"
    assert table["IS-2"]["a"] == "not claimed"
    assert table["CB-3"]["a"] == "not run", "claimed, but no check ran for it"
    lines = render(results)
    assert lines[0].split() == ["rule", "a", "b"]
    assert [line.split()[0] for line in lines[2:6]] == ["G-1", "G-3", "CB-3", "IS-2"]
    assert "  a: direction[customer]" in lines


def test_the_docs_list_every_check_sin_and_scenario():
    from conformance.hostile import SINS
    from conformance.scenarios import bundled_scenarios

    docs = Path(__file__).resolve().parents[1] / "docs"
    guide = (docs / "conformance.md").read_text(encoding="utf-8")
    for name in all_checks():
        assert f"| `{name}` |" in guide, f"docs/conformance.md does not list the check {name}"
    for sin in SINS:
        assert f"| `{sin}` |" in guide, f"docs/conformance.md does not list the sin {sin}"
    listed = (docs / "scenarios.md").read_text(encoding="utf-8")
    for scenario in bundled_scenarios():
        assert f"| `{scenario.name}` |" in listed, f"docs/scenarios.md misses {scenario.name}"
