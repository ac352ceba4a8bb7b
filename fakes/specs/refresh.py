"""Make the spec subsets of this folder from the vendors' original OpenAPI documents.

Run it when a vendor's spec changes::

    python -m fakes.specs.refresh FOLDER_WITH_THE_ORIGINALS

Per vendor it keeps the paths the fakes, connectors and webhooks of this project touch (and
their neighbours under the same resource, so a fake can grow without a new extraction), the
schemas those reference (transitively) and the named extra schemas (webhook events), and
writes compact JSON. Every path, operation and schema object kept is unchanged.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakes.specs import FOLDER


@dataclass(frozen=True)
class Subset:
    """What to keep of one vendor's document."""

    source: str
    paths: str  # a regular expression a kept path matches
    schemas: str = r"(?!)"  # extra schemas kept whether referenced or not


SUBSETS = {
    "square": Subset(
        "square-customers-bookings-webhooks-openapi.json",
        r"^/v2/(customers|bookings|webhooks)",
        r"(Customer|Booking)\w*Event",
    ),
    "podium": Subset(
        "podium-openapi.json",
        r"^/v4/(contacts|contact_attributes|locations|organizations|users|products|webhooks)",
    ),
    "idosell": Subset(
        "idosell-admin-v6-crm-openapi.json",
        r"^/(clients/(clients|deliveryAddress|externalCode|balance|crm/search)"
        r"|discounts/groups|system/shopsData)$",
    ),
}


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def extract(document: dict[str, Any], subset: Subset) -> dict[str, Any]:
    """The subset of ``document``: kept paths, and the schemas they need."""
    paths = {p: v for p, v in document["paths"].items() if re.search(subset.paths, p)}
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    wanted = _refs(paths) | {n for n in schemas if re.search(subset.schemas, n)}
    kept: set[str] = set()
    while wanted - kept:
        name = (wanted - kept).pop()
        kept.add(name)
        wanted |= _refs(schemas.get(name, {}))
    out = {k: v for k, v in document.items() if k not in ("paths", "components")}
    out["paths"] = paths
    components = dict(document.get("components", {}))
    if schemas:
        components["schemas"] = {n: schemas[n] for n in schemas if n in kept}
    if components:
        out["components"] = components
    return out


def main(argv: list[str]) -> int:
    """Write every vendor's subset from the originals in ``argv[0]``."""
    if len(argv) != 1:
        print("usage: python -m fakes.specs.refresh FOLDER_WITH_THE_ORIGINALS", file=sys.stderr)
        return 2
    source = Path(argv[0])
    for vendor, subset in SUBSETS.items():
        document = json.loads((source / subset.source).read_text(encoding="utf-8"))
        out = extract(document, subset)
        text = json.dumps(out, ensure_ascii=False, separators=(",", ":"))
        (FOLDER / f"{vendor}.json").write_text(text + "\n", encoding="utf-8")
        n_schemas = len(out.get("components", {}).get("schemas", {}))
        print(f"{vendor}: {len(out['paths'])} paths, {n_schemas} schemas")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
