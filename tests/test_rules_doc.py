"""docs/rules.md names every rule, and every rule ID the project cites is one of them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULE_ID = re.compile(r"\b(?:G|CB|PD|IS|SQ)-\d+\b")


def documented() -> list[str]:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    return re.findall(r"^### ((?:G|CB|PD|IS|SQ)-\d+) — ", text, flags=re.M)


def test_each_rule_is_documented_once() -> None:
    ids = documented()
    assert len(ids) == len(set(ids)), "a rule is documented twice"
    assert {"G-1", "CB-3", "PD-6", "IS-12", "SQ-3"} <= set(ids)


def test_the_rules_match_the_specification() -> None:
    # docs/spec/RULES.md: the specification as given to the project, kept verbatim in the repo
    spec = (ROOT / "docs" / "spec" / "RULES.md").read_text("utf-8")
    expected = re.findall(r"^- \*\*((?:G|CB|PD|IS|SQ)-\d+)\b", spec, re.M)
    assert len(expected) >= 40, "the specification's rules were not found"
    assert sorted(documented()) == sorted(expected)


def test_every_rule_cited_in_code_tests_and_presets_is_documented() -> None:
    known = set(documented())
    cited: dict[str, set[str]] = {}
    for folder in ("framework", "plugins", "fakes", "conformance", "tests", "examples"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".py", ".toml", ".yaml", ".md"} or ".venv" in path.parts:
                continue
            for rule in RULE_ID.findall(path.read_text(encoding="utf-8", errors="replace")):
                cited.setdefault(rule, set()).add(str(path.relative_to(ROOT)))
    unknown = {rule: sorted(paths)[:3] for rule, paths in cited.items() if rule not in known}
    assert not unknown, f"rule IDs cited but not in docs/rules.md: {unknown}"
