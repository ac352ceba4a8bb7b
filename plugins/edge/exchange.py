"""Reading and writing EDT files in a store folder (``docs/edge-exchange.md``)."""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

_EXPORT = re.compile(
    r"^(?:(?P<part>\d+)-)?(?P<stamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}(?:-\d{2})?)-(?P<full>full)?"
    r"(?P<kind>[a-z]+)\.json$",
    re.IGNORECASE,
)


@dataclass(frozen=True, order=True)
class ExportFile:
    """An export in Inbox, ordered by timestamp, then part number, then name."""

    stamp: str
    part: int
    name: str
    kind: str
    full: bool


def exports(inbox: Path, kind: str) -> list[ExportFile]:
    """The export files of one kind (``CustomerList``…), oldest first."""
    found: list[ExportFile] = []
    if not inbox.is_dir():
        return found
    for path in inbox.iterdir():
        match = _EXPORT.match(path.name)
        if match and match["kind"].lower() == kind.lower() and path.is_file():
            found.append(
                ExportFile(
                    match["stamp"],
                    int(match["part"] or 0),
                    path.name,
                    match["kind"],
                    bool(match["full"]),
                )
            )
    return sorted(found)


def sort_key(name: str) -> tuple[str, int, str]:
    """The reading order of an export file name (timestamp, part, name)."""
    match = _EXPORT.match(name) if name else None
    if match is None:
        return ("", 0, name)
    return (match["stamp"], int(match["part"] or 0), name)


def write_import(outbox: Path, kind: str, body: dict[str, Any], keys: list[str]) -> str:
    """Drop an import file in Outbox, atomically; the name sorts by time of writing."""
    digest = hashlib.blake2b("|".join(keys).encode(), digest_size=4).hexdigest()
    name = f"{time.time_ns() // 1_000_000:013d}-{digest}-{kind}.json"
    outbox.mkdir(parents=True, exist_ok=True)
    tmp = outbox / f".{name}.tmp"
    tmp.write_bytes(orjson.dumps(body))
    os.replace(tmp, outbox / name)
    return name


def pending_imports(
    outbox: Path,
    kind: str,
    wrapper: str,
    key_field: str,
    transfer: str | None,
    cache: dict[str, Any],
) -> tuple[set[str], set[str]]:
    """Keys and partner ids of the ``kind`` records named by imports EDT has not processed."""
    keys: set[str] = set()
    web_ids: set[str] = set()
    if not outbox.is_dir():
        return keys, web_ids
    for path in outbox.iterdir():
        if (
            not path.is_file()
            or path.name.startswith(".")
            or not path.name.lower().endswith(f"{kind.lower()}.json")
        ):
            continue
        if path.name not in cache:
            try:
                body = orjson.loads(path.read_bytes())
            except (orjson.JSONDecodeError, OSError):
                continue
            named: tuple[set[str], set[str]] = (set(), set())
            for record in body.get(wrapper, []):
                value = record.get("PairValue") or {}
                if key := record.get("Key") or value.get(key_field):
                    named[0].add(key)
                if transfer and (web_id := (value.get(transfer) or {}).get("WebTransferWebID")):
                    named[1].add(web_id)
            cache[path.name] = named
        keys |= cache[path.name][0]
        web_ids |= cache[path.name][1]
    return keys, web_ids
