"""`syncwright conformance` and `syncwright scenario`, found through syncwright.commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.scenarios import ScenarioError, bundled_scenarios, load, parse, schema
from conformance.scenarios.runner import mismatches, run_scenario

DOCS = Path(__file__).resolve().parents[1] / "docs"
FAILING = """
name: wrong-on-purpose
rules: [CB-3]
systems: {pos: memory, platform: memory}
pair:
  flows:
    customer: {direction: pos_to_platform, fields: {first_name: {}, emails: {}}}
records:
  pos:
    ada: {first_name: Ada, emails: [{address: ada@example.com}]}
steps:
  - sync: 1
expect:
  platform:
    ada: {first_name: Grace}
  count: {pos: 1, platform: 2}
"""


def syncwright(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "framework.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": ""},
    )


def test_scenario_run_passes_a_bundled_scenario_by_name():
    result = syncwright("scenario", "run", "is2-jan-kowalski")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pass is2-jan-kowalski (IS-2)" in result.stdout


def test_scenario_run_reports_what_did_not_hold_and_exits_1(tmp_path: Path):
    path = tmp_path / "wrong.yaml"
    path.write_text(FAILING, encoding="utf-8")
    result = syncwright("scenario", "run", str(path))
    assert result.returncode == 1
    assert "FAIL wrong-on-purpose (CB-3)" in result.stdout
    assert "at the end, platform ada.first_name: expected 'Grace', got 'Ada'" in result.stdout
    assert "at the end: the platform holds 1 records, not 2" in result.stdout


def test_a_broken_scenario_file_is_one_clear_line(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: Not A Slug\nrules: []\nsystems: {pos: memory}\n", encoding="utf-8")
    result = syncwright("scenario", "run", str(path))
    assert result.returncode == 2
    assert f"error: {path}: " in result.stderr
    assert "name" in result.stderr


def test_conformance_runs_the_suite_on_a_named_subject_and_prints_the_matrix():
    result = syncwright("conformance", "memory", "-k", "full_fetch or scenario or foreign_records")
    assert result.returncode == 0, result.stdout[-2000:]
    assert "syncwright conformance: rule x connector" in result.stdout
    assert "IS-2" in result.stdout
    assert "skipped" in result.stdout.splitlines()[-1], "some cases were skipped"
    assert "SKIPPED [" not in result.stdout, "the matrix says why; no line per skip after it"
    assert "case(s) skipped as not claimed or not applicable" in result.stdout


def test_conformance_names_the_installed_subjects_when_one_is_missing():
    result = syncwright("conformance", "nope")
    assert result.returncode == 2
    assert "no conformance subject named 'nope'" in result.stderr


def test_the_published_scenario_schema_is_the_models():
    published = json.loads((DOCS / "scenario.schema.json").read_text(encoding="utf-8"))
    assert published == schema(), (
        "regenerate: syncwright scenario schema > docs/scenario.schema.json"
    )
    printed = syncwright("scenario", "schema")
    assert json.loads(printed.stdout) == published


def test_bundled_scenarios_cover_the_source_examples():
    names = {s.name: s for s in bundled_scenarios()}
    assert names["cb3-changed-email"].systems == {"pos": "edge", "platform": "clientbook"}
    assert names["is2-jan-kowalski"].rules == ["IS-2"]
    real = names["is2-jan-kowalski-fk-idosell"]
    assert real.subjects_on("pos") == ["fk", "fk-wf-mag"], "Subiekt GT and WF-MAG both"
    assert real.subjects_on("platform") == ["idosell"]
    assert real.pair["preset"] == "fk-idosell"
    assert "SQ-2" in names["sq2-duplicates-reported"].rules


@pytest.mark.rule("CB-3")
def test_a_scenario_can_fail(tmp_path: Path):
    scenario = parse(FAILING, "wrong.yaml")
    failures = run_scenario(scenario, tmp_path)
    assert len(failures) == 2


def test_unknown_aliases_and_missing_files_are_scenario_errors(tmp_path: Path):
    with pytest.raises(ScenarioError, match=r"missing\.yaml: No such file"):
        load(tmp_path / "missing.yaml")
    unknown = FAILING.replace("  - sync: 1", "  - edit: {side: pos, record: bob, set: {}}")
    with pytest.raises(ScenarioError, match="no record has the alias 'bob'"):
        run_scenario(parse(unknown, "unknown.yaml"), tmp_path)


def test_mismatches_compare_the_fields_named_and_whole_lists():
    held = {"emails": [{"address": "a@x.com", "label": "Home"}], "first_name": "Ada"}
    assert mismatches({"emails": [{"address": "a@x.com"}]}, held, "r") == []
    assert mismatches({"emails": []}, held, "r") == [
        f"r.emails: expected 0 item(s), got {held['emails']!r}"
    ]
    assert mismatches({"first_name": "Grace"}, held, "r") == [
        "r.first_name: expected 'Grace', got 'Ada'"
    ]


MEMORY_PAIR = """
systems: {pos: memory, platform: memory}
pair:
  flows:
    customer: {match_on: [email], fields: {first_name: {}, emails: {}}}
"""


@pytest.mark.rule("SQ-2")
def test_a_duplicates_expectation_names_groups_and_can_fail(tmp_path: Path):
    text = """
name: duplicates
rules: [SQ-2]
records:
  platform:
    a: {first_name: Ann, emails: [{address: ann@example.com}]}
    b: {first_name: Anne, emails: [{address: ANN@example.com}]}
    c: {first_name: Cy, emails: [{address: cy@example.com}]}
steps:
  - sync: 2
expect:
  duplicates: [{side: platform, records: [a, b]}, {side: platform, records: [a, c]}]
"""
    failures = run_scenario(parse(MEMORY_PAIR + text, "dup.yaml"), tmp_path)
    assert len(failures) == 1, failures
    assert "['a', 'c'] on the platform were not reported as one group" in failures[0]


def test_records_refer_to_others_by_alias_and_keep_their_entity(tmp_path: Path):
    text = """
name: notes
rules: [CB-7]
entity: note
pair:
  flows:
    customer: {match_on: [email], fields: {first_name: {}, emails: {}}}
    note: {fields: {customer: {}, text: {}}}
steps:
  - create: {side: pos, record: ada, entity: customer,
             values: {first_name: Ada, emails: [{address: ada@example.com}]}}
  - sync: 2
  - create: {side: pos, record: memo, values: {customer: "@ada", text: Likes opals}}
  - sync: 2
expect:
  platform:
    ada: {first_name: Ada}
    memo: {text: Likes opals}
  count: {pos: 1, platform: 1}
"""
    assert run_scenario(parse(MEMORY_PAIR + text, "notes.yaml"), tmp_path) == []


def test_a_code_for_a_system_that_keeps_none_is_a_scenario_error(tmp_path: Path):
    text = """
name: codes
rules: [IS-3]
records:
  pos:
    ada: {first_name: Ada}
codes: {ada: K/0001}
"""
    clientbook_pos = MEMORY_PAIR.replace("{pos: memory,", "{pos: clientbook,")  # no codes
    with pytest.raises(ScenarioError, match="'ada': the pos system keeps no shared code"):
        run_scenario(parse(clientbook_pos + text, "codes.yaml"), tmp_path)
