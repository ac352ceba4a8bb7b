"""The vendors' API specs as this project holds them: the parts its fakes and connectors use.

Each vendor file is a subset of the vendor's published OpenAPI document, made by
``refresh.py`` from the original (``SOURCES.md`` says where each came from, its licence, and
what was kept). ``clientbook.json`` is ours: Clientbook publishes no reference, so it
describes our model of its API (``docs/clientbook-api.md``) in OpenAPI.
Tests check the fakes' answers and the connectors' requests against them; nothing here
reads outside the repository.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parent
VENDORS = ("square", "podium", "idosell", "clientbook")  # clientbook: our own model of it


def path(vendor: str) -> Path:
    """The spec file of ``vendor`` (one of ``VENDORS``)."""
    if vendor not in VENDORS:
        raise KeyError(f"no spec for {vendor!r}; known: {', '.join(VENDORS)}")
    return FOLDER / f"{vendor}.json"


@cache
def load(vendor: str) -> dict[str, Any]:
    """The spec of ``vendor`` as a dict (cached: treat it as read-only)."""
    data: dict[str, Any] = json.loads(path(vendor).read_text(encoding="utf-8"))
    return data
