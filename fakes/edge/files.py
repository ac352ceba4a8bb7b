"""EDT files as the fake Edge writes and reads them (``docs/edge-exchange.md``)."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import orjson

STAMP = "%Y-%m-%d-%H-%M-%S"


def stamp(moment: dt.datetime) -> str:
    """The timestamp prefix of an export file name."""
    return moment.strftime(STAMP)


def export_name(moment: dt.datetime, kind: str, full: bool, part: int | None) -> str:
    """``[part-]yyyy-mm-dd-hh-mm-ss-[Full]<kind>.json``."""
    prefix = f"{part}-" if part is not None else ""
    return f"{prefix}{stamp(moment)}-{'Full' if full else ''}{kind}.json"


def _unpaired(error: UnicodeError) -> tuple[bytes, int]:
    r"""Encode the text UTF-8 cannot hold as EDT would have it in the file.

    U+DC80-U+DCFF is a byte another encoding left undecoded (Python's ``surrogateescape``):
    it goes out as that raw byte, which is not UTF-8. Any other lone surrogate goes out as
    its JSON escape (``\ud83d``), as .NET serialisers write half an emoji.
    """
    assert isinstance(error, UnicodeEncodeError)
    out = bytearray()
    for char in error.object[error.start : error.end]:
        code = ord(char)
        out += bytes([code - 0xDC00]) if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}".encode()
    return bytes(out), error.end


codecs.register_error("edt-unpaired", _unpaired)


def dumps(data: Any) -> bytes:
    """JSON as EDT writes it; text with unpaired surrogates as the fake models it (above)."""
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2)
    except TypeError:  # orjson refuses a str that is not valid Unicode
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8", "edt-unpaired")


def write_atomically(path: Path, data: Any) -> None:
    """Write JSON under a temporary name, then rename, so no reader sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(dumps(data))
    os.replace(tmp, path)


def edt_date(moment: dt.date | dt.datetime | None) -> str | None:
    """A date in EDT's ``mm/dd/yyyy hh:mm:ss`` form."""
    if moment is None:
        return None
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime(moment.year, moment.month, moment.day)
    return moment.strftime("%m/%d/%Y %H:%M:%S")
