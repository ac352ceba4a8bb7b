"""The ``refused_flow`` check can fail: Podium connectors that refuse item sync badly (PD-1).

Each connector below is the real Podium connector with one flaw in ``refuse``; the check,
run on the podium subject's Clientele claim through the real configuration loader and
engine, must fail it with the reason it breaks the rule, and pass the real one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conformance.checks import CHECKS, Case, all_checks, plan
from conformance.checks.context import CheckFailed, run_case
from conformance.checks.target import resolve
from conformance.subject import Subject
from conformance.subjects import podium
from framework import SystemContext
from plugins.podium.connector import PodiumConnector
from plugins.podium.settings import PodiumSettings


def _on_clientele(system: SystemContext) -> bool:
    return isinstance(system.settings, PodiumSettings) and system.settings.tier == "clientele"


class RefusesAtTheWrite(PodiumConnector):
    """Never refuses the flow: only each product write is refused (RecordRejected, PD-1)."""

    def refuse(self, system: SystemContext, entity: str, direction: str, side: str) -> str | None:
        return None


class RefusesEveryAccount(PodiumConnector):
    """Refuses item sync whatever the account's tier."""

    def refuse(self, system: SystemContext, entity: str, direction: str, side: str) -> str | None:
        return "PD-1: item sync needs Clientele+" if entity == "product" else None


class RefusesTheWholeAccount(PodiumConnector):
    """Refuses every flow of an account on Clientele, customers too."""

    def refuse(self, system: SystemContext, entity: str, direction: str, side: str) -> str | None:
        return "PD-1: this account is on Clientele" if _on_clientele(system) else None


class NamesNoRule(PodiumConnector):
    """Refuses the right flow with a message that does not say which rule."""

    def refuse(self, system: SystemContext, entity: str, direction: str, side: str) -> str | None:
        refused = entity == "product" and _on_clientele(system)
        return "item sync needs Clientele+" if refused else None


def _case(connector: PodiumConnector | None) -> Case:
    all_checks()
    subject: Subject = podium.subject
    if connector is not None:
        subject = dataclasses.replace(subject, plugin=connector, name=type(connector).__name__)
    cases = [c for c in plan(resolve(subject), CHECKS["refused_flow"]) if c.skip is None]
    assert [c.variant.label for c in cases] == ["product-platform-clientele"]
    return cases[0]


@pytest.mark.rule("PD-1")
def test_the_real_connector_refuses_items_on_clientele_at_load(tmp_path: Path) -> None:
    run_case(_case(None), tmp_path)


@pytest.mark.rule("PD-1")
@pytest.mark.parametrize(
    ("connector", "reason"),
    [
        (RefusesAtTheWrite(), "was accepted when the configuration loaded"),
        (RefusesEveryAccount(), "usual system is refused the flow too"),
        (RefusesTheWholeAccount(), "flow off, the clientele system is refused"),
        (NamesNoRule(), "names no PD-1"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, PodiumConnector) else "",
)
def test_the_check_fails_a_connector_that_refuses_badly(
    tmp_path: Path, connector: PodiumConnector, reason: str
) -> None:
    with pytest.raises(CheckFailed, match=reason) as failed:
        run_case(_case(connector), tmp_path)
    assert str(failed.value).startswith("[PD-1] "), "the failure names the rule"
