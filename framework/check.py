"""``syncwright check``: reach every configured system before anything is synced.

Each system is asked through the ``check_system`` hook (``framework/hookspecs.py``): its
connector checks what a run needs (base URL, credentials, folder, database), or the
framework reads one record through ``fetch_changes``. Nothing is written, and the state
store is not opened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from framework.config import Config
from framework.engine.engine import build_systems
from framework.facade import Hooks
from framework.http import CallMeter
from framework.models import SystemCheck
from framework.secrets import redact


@dataclass(frozen=True)
class CheckedSystem:
    """One configured system and what its check found."""

    name: str
    connector: str
    check: SystemCheck


def check_systems(
    config: Config, hooks: Hooks, transports: Mapping[str, httpx.BaseTransport] | None = None
) -> list[CheckedSystem]:
    """Check every configured system, in the configuration's order."""
    systems = build_systems(config, CallMeter(), transports)
    try:
        found = []
        for name, system in systems.items():
            result = hooks.check_system(system)
            detail = redact(" ".join(result.detail.split()))
            found.append(
                CheckedSystem(name, system.connector, SystemCheck(ok=result.ok, detail=detail))
            )
        return found
    finally:
        for system in systems.values():
            system.close()
