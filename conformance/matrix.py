"""The matrix printed at the end of a run: rule ID x connector x pass / FAIL / not claimed.

A cell is ``FAIL`` when any case citing the rule failed for that subject, ``pass`` when
some passed and none failed, ``n/a`` when every such case was not applicable to it,
``not run`` when the subject claims a rule no case ran for (no check cites it, or ``-k``
left them out), and ``not claimed`` when the subject does not claim the rule (general
rules, G-1 … G-8, are always owed).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

FAMILIES = ("G", "CB", "PD", "IS", "SQ")


def rule_order(rule: str) -> tuple[int, int, str]:
    """RULES.md order: general rules first, then each pair's, by number."""
    match = re.match(r"([A-Z]+)-(\d+)", rule)
    if match is None:
        return (len(FAMILIES), 0, rule)
    family, number = match.groups()
    rank = FAMILIES.index(family) if family in FAMILIES else len(FAMILIES)
    return (rank, int(number), rule)


def cells(results: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """``{rule: {subject: cell}}`` from the recorded case outcomes."""
    outcomes: dict[tuple[str, str], list[str]] = defaultdict(list)
    claimed: dict[str, set[str]] = defaultdict(set)
    rules: set[str] = set()
    for row in results:
        claimed[row["subject"]].update(row["claimed"])
        for rule in row["rules"]:
            rules.add(rule)
            outcomes[(rule, row["subject"])].append(_outcome(row))
    for subject_rules in claimed.values():
        rules |= subject_rules
    table: dict[str, dict[str, str]] = {}
    for rule in sorted(rules, key=rule_order):
        table[rule] = {s: _cell(rule in claimed[s], outcomes.get((rule, s), [])) for s in claimed}
    return table


def _outcome(row: dict[str, Any]) -> str:
    if row["outcome"] == "skipped" and str(row.get("reason", "")).startswith("not claimed"):
        return "not claimed"
    return str(row["outcome"])


def _cell(is_claimed: bool, outcomes: list[str]) -> str:
    if not is_claimed:
        return "not claimed"
    failed = outcomes.count("failed")
    passed = outcomes.count("passed")
    if failed:
        return f"FAIL ({failed} of {failed + passed})"
    if passed:
        return f"pass ({passed})"
    return "n/a" if outcomes else "not run"


def render(results: list[dict[str, Any]]) -> list[str]:
    """The matrix as text lines, then the failed cases."""
    table = cells(results)
    subjects = sorted({row["subject"] for row in results})
    header = ["rule", *subjects]
    rows = [[rule, *(table[rule].get(s, "") for s in subjects)] for rule in table]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cols: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()

    out = [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    failed = sorted(
        {
            f"{r['subject']}: {r['check']}[{r['variant']}]"
            for r in results
            if r["outcome"] == "failed"
        }
    )
    if failed:
        out += ["", f"failed cases ({len(failed)}):", *(f"  {f}" for f in failed)]
    return out
