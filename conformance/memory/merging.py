"""Merging records of the memory system on request (SQ-2), as its connector does it.

A memory record holds lists (e-mails, phones, addresses…), so nothing a merged record holds
needs a place of its own: the survivor's lists take every element of the others' it lacks
(``item_identity``: the same e-mail in another case is one e-mail), its empty fields take
the others' values, and then the others are deleted (``docs/memory-api.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from framework import KeptValue, MergeRequest
from framework.models.base import entity_model

Call = Callable[..., Any]
FLAGS = ("label", "preferred", "promo", "do_not_contact")


def merged_data(
    entity: str, survivor: dict[str, Any], others: list[dict[str, Any]], lossy: bool = False
) -> tuple[dict[str, Any], list[KeptValue], list[str]]:
    """The survivor's data after the merge, where each list element is, and filled fields.

    ``lossy`` (for the hostile connector only): a list the survivor has keeps its own
    elements and takes none of the others', as a careless merge would; the report still
    claims every element is kept.
    """
    model = entity_model(entity)
    data = dict(survivor["data"])
    kept: list[KeptValue] = []
    filled: list[str] = []
    for name in model.model_fields:
        own = data.get(name)
        if isinstance(own, list):
            items = list(own)
            seen = {_identity(model, name, i) for i in items}
            for record in (survivor, *others):
                for item in record["data"].get(name) or []:
                    identity = _identity(model, name, item)
                    if identity not in seen and not (lossy and own):
                        seen.add(identity)
                        items.append(item)
                    kept.append(
                        KeptValue(field=name, value=_shown(item), source=record["id"], place=name)
                    )
            data[name] = items
        elif own in (None, "", {}):
            value = next((o["data"].get(name) for o in others if o["data"].get(name)), None)
            if value not in (None, "", {}):
                data[name] = value
                filled.append(name)
    return data, kept, filled


def merge(
    call: Call, request: MergeRequest, lossy: bool = False
) -> tuple[dict[str, Any], list[KeptValue], list[str]]:
    """Read the records live, write the survivor, then delete the others (see ``merged_data``)."""
    path = f"/v1/{request.entity}"
    survivor = call("GET", f"{path}/{request.survivor}")
    others = [call("GET", f"{path}/{i}") for i in request.others]
    data, kept, filled = merged_data(request.entity, survivor, others, lossy)
    changed = {k: v for k, v in data.items() if survivor["data"].get(k) != v}
    stored = (
        call("PATCH", f"{path}/{request.survivor}", json={"data": changed}) if changed else survivor
    )
    for other in request.others:
        call("DELETE", f"{path}/{other}")
    return stored, kept, filled


def _identity(model: Any, field: str, item: Any) -> Any:
    return model.item_identity(field, item) if isinstance(item, dict) else item


def _shown(item: Any) -> str:
    if isinstance(item, dict):
        return ", ".join(str(v) for k, v in item.items() if v and k not in FLAGS)
    return str(item)
