"""Every HTTP fake answers as its vendor's spec says (schemathesis), and says where it does not.

The ``fidelity`` tests run schemathesis on each fake (``tests/fidelity.py``) with a fixed
seed and few examples, so they fit the normal test run; ``nox -s fidelity`` runs them with
more. The other tests keep each fake's contract honest: the operations it declares are the
ones it routes, and every departure from the spec is listed in the fake's doc page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from fakes.toolkit.openapi import operations, routed
from tests import fidelity

DOCS = Path(__file__).resolve().parent.parent / "docs"
FAKES = ("square", "podium", "idosell", "clientbook")


@pytest.fixture
def examples(request: pytest.FixtureRequest) -> int:
    return int(request.config.getoption("--fidelity-examples"))


@pytest.mark.fidelity
@pytest.mark.parametrize("name", FAKES)
def test_the_fake_answers_as_its_spec_says(
    name: str, examples: int, record_property: Callable[[str, object], None]
) -> None:
    outcome = fidelity.run(fidelity.subjects()[name], examples=examples)
    record_property("fidelity", outcome.report(name).splitlines()[0])  # printed at the end
    assert not outcome.failures, outcome.report(name)
    assert not outcome.errors, outcome.report(name)
    assert outcome.cases > 100, f"schemathesis generated almost nothing for {name}"


@pytest.mark.parametrize("name", FAKES)
def test_the_declared_operations_are_the_routed_ones(name: str) -> None:
    subject = fidelity.subjects()[name]
    contract = subject.contract
    app, _ = subject.serve()
    served = routed(app.routes, contract.guard().prefix)
    documented = operations(contract.spec())
    assert served == contract.OPERATIONS | contract.MODELLED
    assert documented >= contract.OPERATIONS, "OPERATIONS are operations of the spec"
    assert not contract.MODELLED & documented, "MODELLED are the routes outside the spec"


@pytest.mark.parametrize("name", FAKES)
def test_every_departure_is_listed_with_its_reason_in_the_doc_page(name: str) -> None:
    page = (DOCS / f"{name}-api.md").read_text(encoding="utf-8")
    section = page.split("## Departures from the spec", 1)
    assert len(section) == 2, f"docs/{name}-api.md has no 'Departures from the spec' section"
    listed = re.findall(r"^- `([a-z0-9-]+)`", section[1], flags=re.MULTILINE)
    declared = [d.id for d in fidelity.subjects()[name].contract.DEPARTURES]
    assert sorted(listed) == sorted(declared)
