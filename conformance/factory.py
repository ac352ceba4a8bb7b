"""``conformance_tests``: the test class a connector author puts in a test module.

::

    from conformance import conformance_tests
    from my_connector.conformance import subject

    TestMyConnector = conformance_tests(subject)

The class holds one test per check (``test_full_fetch``, ``test_echo_suppression``…); the
pytest plugin parametrises each with the subject's cases. A case that does not apply is
skipped with its reason ("not claimed: …"), and the run ends with the matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import CHECKS, Case, Check, all_checks, plan
from conformance.checks.context import NotApplicable, run_case
from conformance.checks.target import Target, resolve
from conformance.subject import Subject, load_subjects

_TARGETS = pytest.StashKey[dict[str, Target]]()


def conformance_tests(*subjects: Subject, checks: Iterable[str] | None = None) -> type:
    """A pytest test class running the suite on ``subjects``.

    Args:
        subjects: the declarations to test; none means every subject declared under the
            ``syncwright.conformance`` entry-point group (narrowed by
            ``--syncwright-subject``).
        checks: only these checks (by name); default all.
    """
    chosen = set(checks) if checks is not None else None
    namespace: dict[str, Any] = {
        "__syncwright_suite__": True,
        "__syncwright_subjects__": tuple(subjects),
        "__doc__": "The syncwright conformance suite.",
    }
    for name, check in all_checks().items():
        if chosen is None or name in chosen:
            namespace[f"test_{name}"] = _test(check)
    return type("TestConformance", (), namespace)


def _test(check: Check) -> Callable[..., None]:
    def test(self: object, case: Case, tmp_path: Path) -> None:
        try:
            run_case(case, tmp_path)
        except NotApplicable as exc:
            pytest.skip(f"n/a: {exc}")

    test.__name__ = f"test_{check.name}"
    test.__doc__ = f"{check.summary} ({', '.join(check.rules)})"
    return test


def parameters(cls: type, test_name: str, config: pytest.Config) -> list[Any]:
    """The ``pytest.param`` cases of one check for the subjects of ``cls``."""
    check = CHECKS[test_name.removeprefix("test_")]
    subjects: tuple[Subject, ...] = cls.__syncwright_subjects__  # type: ignore[attr-defined]
    if not subjects:
        subjects = tuple(load_subjects(config.getoption("--syncwright-subject") or None))
    cache = config.stash.setdefault(_TARGETS, {})
    params = []
    for subject in subjects:
        key = f"{subject.label}:{id(subject)}"
        if key not in cache:
            cache[key] = resolve(subject)
        for case in plan(cache[key], check):
            marks = [pytest.mark.skip(reason=case.skip)] if case.skip else []
            params.append(pytest.param(case, id=case.id, marks=marks))
    if not params:
        reason = f"no case: {check.name} applies to none of the subjects"
        return [pytest.param(None, id="none", marks=[pytest.mark.skip(reason=reason)])]
    return params
