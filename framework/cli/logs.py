"""Logging for the command line: how much (``-v``, ``-vv``), in which form, and where.

- no flag: warnings and errors;
- ``-v``: syncwright's own loggers (the engine, the connectors, the fakes, the suite) down
  to DEBUG, everything else still at WARNING;
- ``-vv``: every library's debug output too (HTTP internals, rate limiter).

``--log-format json`` writes one JSON object per line (``time``, ``level``, ``logger``,
``message`` and any ``extra``; python-json-logger) instead of rich text, and
``--log-file PATH`` appends the log to a file as well (in the chosen format). Secrets are
masked on every handler. An error that the run report also shows (``extra={"reported":
True}``) is left out of the rich console, which prints the report: a person reads it once;
a file or JSON log keeps it.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path

from pythonjsonlogger.json import JsonFormatter
from rich.console import Console
from rich.logging import RichHandler

from framework.secrets import RedactingFilter

OWN_LOGGERS = ("syncwright", "framework", "plugins", "fakes", "conformance")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LogFormat(StrEnum):
    """The forms the log can take."""

    TEXT = "text"
    JSON = "json"


class _NotReported(logging.Filter):
    """Drops records the run report shows anyway (for the console only)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "reported", False)


def _json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    )


def setup_logging(
    verbosity: int = 0,
    log_format: LogFormat = LogFormat.TEXT,
    log_file: Path | None = None,
    console: Console | None = None,
) -> None:
    """Configure the root logger for one command (see the module docstring)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_syncwright", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    if log_format is LogFormat.JSON:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(_json_formatter())
        handlers.append(stream)
    else:
        rich = RichHandler(console=console or Console(stderr=True), show_path=False)
        rich.setFormatter(logging.Formatter("%(message)s"))
        rich.addFilter(_NotReported())
        handlers.append(rich)
    if log_file is not None:
        file = logging.FileHandler(log_file, encoding="utf-8")
        file.setFormatter(
            _json_formatter() if log_format is LogFormat.JSON else logging.Formatter(TEXT_FORMAT)
        )
        handlers.append(file)
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        handler._syncwright = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 1 else logging.NOTSET)
