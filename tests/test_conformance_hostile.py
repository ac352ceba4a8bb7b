"""The checks can fail: the hostile connector fails exactly the checks each of its sins breaks.

Each sin runs the whole suite (pytest inside pytest) on a subject committing only that sin;
the checks that fail must be the ones ``BREAKS`` names, no more and no fewer. Without sins
the hostile connector passes everything.
"""

from __future__ import annotations

import pytest

from conformance.hostile import BREAKS, SINS

pytest_plugins = ["pytester"]

MODULE = """
from conformance import conformance_tests
from conformance.hostile import hostile_subject

TestHostile = conformance_tests(hostile_subject({sins}))
"""


def failed_checks(pytester: pytest.Pytester, *sins: str) -> set[str]:
    pytester.makepyfile(test_hostile=MODULE.format(sins=", ".join(repr(s) for s in sins)))
    result = pytester.runpytest("-p", "no:cacheprovider")
    reports = result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
    assert any(r.passed for r in reports), "the suite ran"
    failed = {r.nodeid.split("::")[-1].split("[")[0] for r in reports if r.failed}
    return {name.removeprefix("test_") for name in failed}


def test_every_sin_is_described_and_breaks_something():
    assert set(BREAKS) == set(SINS)
    assert all(BREAKS.values())


def test_without_sins_it_passes_every_check(pytester: pytest.Pytester):
    assert failed_checks(pytester) == set()


@pytest.mark.slow  # the suite once per sin
@pytest.mark.parametrize("sin", sorted(SINS))
def test_each_sin_fails_exactly_the_checks_it_breaks(pytester: pytest.Pytester, sin: str):
    assert failed_checks(pytester, sin) == BREAKS[sin], SINS[sin]
