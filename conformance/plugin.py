"""The pytest plugin of the conformance suite (entry point ``pytest11: syncwright``).

Inert unless asked: it adds two command-line options and nothing else. No test, no
fixture, and no import beyond pytest's own happen in a run that neither passes
``--syncwright-conformance`` nor collects a class made by ``conformance_tests``.

- ``--syncwright-conformance`` collects the suite (``conformance/suite.py``) for every
  subject declared under the ``syncwright.conformance`` entry-point group (alone when no
  test paths are given, beside them otherwise); ``--syncwright-subject NAME`` narrows it.
- Classes made by ``conformance_tests(subject)`` are parametrised here, one case per check,
  entity, role and parameter.
- Every case's rules travel with its reports (so ``pytest-xdist`` workers report them too),
  and the run ends with the matrix: rule x connector x pass / FAIL / not claimed / n/a.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

OPTION = "--syncwright-conformance"
SUBJECT_OPTION = "--syncwright-subject"
PROPERTY = "syncwright.conformance"
SUITE_ATTRIBUTE = "__syncwright_suite__"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the suite's options."""
    group = parser.getgroup("syncwright", "syncwright conformance suite")
    group.addoption(
        OPTION,
        action="store_true",
        default=False,
        help="run the conformance suite on every connector declared under the "
        "syncwright.conformance entry-point group",
    )
    group.addoption(
        SUBJECT_OPTION,
        action="append",
        default=[],
        metavar="NAME",
        help="with --syncwright-conformance: only this subject (repeatable)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Keep case outcomes for the matrix; with the option, collect the suite too."""
    config.pluginmanager.register(Recorder(), "syncwright-conformance-recorder")
    if not config.getoption(OPTION):
        return
    suite = str(Path(__file__).with_name("suite.py"))
    if config.args_source is pytest.Config.ArgsSource.ARGS:
        config.args.append(suite)
    else:  # no test paths given: the suite alone, not the project's testpaths
        config.args[:] = [suite]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise the checks of suite classes with their cases."""
    if metafunc.cls is None or not getattr(metafunc.cls, SUITE_ATTRIBUTE, False):
        return
    from conformance.factory import parameters

    metafunc.parametrize(
        "case", parameters(metafunc.cls, metafunc.definition.name, metafunc.config)
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Attach each case's subject, check and rules to its item's reports."""
    for item in items:
        case = getattr(getattr(item, "callspec", None), "params", {}).get("case")
        row = getattr(case, "row", None)
        if callable(row):
            item.user_properties.append((PROPERTY, row()))


class Recorder:
    """Collects the outcome of every conformance case and prints the matrix at the end."""

    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep a conformance case's outcome (reports from xdist workers included)."""
        row = next((v for k, v in report.user_properties if k == PROPERTY), None)
        if row is None or not (report.when == "call" or report.failed or report.skipped):
            return
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2])
        assert isinstance(row, dict)
        self.results.append({**row, "outcome": report.outcome, "reason": reason})

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """End with the rule x connector matrix when any conformance case ran."""
        if not self.results:
            return
        from conformance.matrix import render

        terminalreporter.section("syncwright conformance: rule x connector")
        for line in render(self.results):
            terminalreporter.write_line(line)
        skipped = sum(1 for row in self.results if row["outcome"] == "skipped")
        if skipped:
            # The matrix already says why (not claimed, n/a): pytest's "SKIPPED [n] …" lines,
            # printed after this hook, would only repeat it, a few dozen lines long.
            terminalreporter.reportchars = terminalreporter.reportchars.replace("s", "")
            terminalreporter.write_line(
                f"{skipped} case(s) skipped as not claimed or not applicable: "
                "their cells above say which"
            )
