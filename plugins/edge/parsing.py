r"""Parsing one EDT export: whole when it can, record by record when it must (G-5).

orjson parses the file first: that is every well-formed export, and the fast path. When it
refuses, the file is one of three things, told apart and handled differently
(``docs/edge-exchange.md``, choice 9):

- **complete, with text that is not Unicode** in some records: a lone surrogate escape
  (``"\ud83d"``, half an emoji) or a byte that is not UTF-8 (text in another encoding).
  The file is parsed again by the standard library over its bytes decoded with
  ``surrogateescape`` (a bad byte becomes U+DC80-U+DCFF), so every record is read; the
  records holding such text are *flawed*: the connector quarantines each one naming its
  field, and the rest sync.
- **incomplete**: the JSON ends before the document does, as a file still being written
  (or whose writer died) does. While recent it is waited for whole (:class:`Unsettled`);
  one that stays so past ``settle_seconds`` is quarantined whole as incomplete.
- **not JSON** at some point before its end: waited for while recent like an incomplete
  one, then quarantined whole with the parse error.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import orjson

_UNPAIRED = re.compile("[\ud800-\udfff]")


class Unsettled(Exception):
    """The file does not parse yet and is recent: EDT may still be writing it."""

    def __init__(self, name: str, why: str):
        super().__init__(f"EDT file {name} {why}")


@dataclass(frozen=True)
class Export:
    """A parsed export; ``salvaged`` when some of its text is not Unicode (see the module)."""

    body: dict[str, Any]
    salvaged: bool = False
    utf8: bool = True

    def flaw(self, record: Any) -> str | None:
        """Where a record holds text that is not Unicode, and what, in one line; else ``None``."""
        if not self.salvaged:
            return None  # orjson read it: all of its text is Unicode
        try:
            orjson.dumps(record)  # most records of a salvaged file are sound: C speed for them
            return None
        except TypeError:  # orjson refuses text that is not Unicode: find it
            found = _first_unpaired(record, "")
        if found is None:
            return None
        where, char = found
        code = ord(char)
        if not self.utf8 and 0xDC80 <= code <= 0xDCFF:
            what = f"a byte that is not UTF-8 (0x{code - 0xDC00:02X})"
        else:
            what = f"a lone surrogate \\u{code:04x} (half of a character, not text)"
        return f"{where or 'the record'} holds {what}"


def read_export(path: Path, settle_seconds: float) -> Export:
    """Parse an export (see the module for the three ways it can fail).

    Raises:
        Unsettled: it does not parse as a whole and changed within ``settle_seconds``.
        ValueError: it does not parse as a whole and is old enough to be truly broken.
    """
    raw = path.read_bytes()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _as_object(path, _salvage(path, raw, settle_seconds))
    return _as_object(path, Export(body))


def _salvage(path: Path, raw: bytes, settle_seconds: float) -> Export:
    try:
        raw.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    text = raw.decode("utf-8", "surrogateescape").removeprefix("\ufeff")  # a BOM is no flaw
    try:
        body = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        incomplete = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        if incomplete:
            why = f"is incomplete: its JSON stops at byte {len(raw):,} before the document ends"
        else:
            why = f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        _wait_or_refuse(path, settle_seconds, why)
    except ValueError as exc:  # NaN, Infinity: the standard library's, not JSON's
        _wait_or_refuse(path, settle_seconds, f"is not valid JSON: {exc}")
    return Export(body, salvaged=True, utf8=utf8)


def _wait_or_refuse(path: Path, settle_seconds: float, why: str) -> NoReturn:
    if time.time() - path.stat().st_mtime < settle_seconds:
        raise Unsettled(path.name, why)
    raise ValueError(f"EDT file {path.name} {why}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _as_object(path: Path, export: Export) -> Export:
    if not isinstance(export.body, dict):
        raise ValueError(f"EDT file {path.name} does not hold a JSON object")
    return export


def _first_unpaired(value: Any, where: str) -> tuple[str, str] | None:
    """The first text in ``value`` holding a surrogate: its place (PairValue levels left out)."""
    if isinstance(value, str):
        match = _UNPAIRED.search(value)
        return None if match is None else (where, match.group())
    if isinstance(value, dict):
        for key, item in value.items():
            if match := _UNPAIRED.search(key):
                return (f"{where}.{_UNPAIRED.sub('?', key)}".lstrip("."), match.group())
            place = where if key == "PairValue" else f"{where}.{key}".lstrip(".")
            if found := _first_unpaired(item, place):
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := _first_unpaired(item, f"{where}[{index}]"):
                return found
    return None
