"""EDT files as the fake Edge writes and reads them (``docs/edge-exchange.md``)."""

from __future__ import annotations

import datetime as dt
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


def write_atomically(path: Path, data: Any) -> None:
    """Write JSON under a temporary name, then rename, so no reader sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    os.replace(tmp, path)


def edt_date(moment: dt.date | dt.datetime | None) -> str | None:
    """A date in EDT's ``mm/dd/yyyy hh:mm:ss`` form."""
    if moment is None:
        return None
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime(moment.year, moment.month, moment.day)
    return moment.strftime("%m/%d/%Y %H:%M:%S")
