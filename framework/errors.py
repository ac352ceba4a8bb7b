"""Errors the framework raises and the classes connectors raise to say what went wrong.

The engine acts on the class, not the message: a :class:`RetryableError` is retried with
backoff, a :class:`RecordRejected` parks the record in quarantine (G-5) and the run goes on,
a :class:`FatalError` stops the flow and is reported. Messages never carry secrets.
"""

from __future__ import annotations

from pydantic import ValidationError


class SyncwrightError(Exception):
    """Base class of every error syncwright raises on purpose."""


class ConfigError(SyncwrightError):
    """The configuration file is missing, unreadable or invalid.

    The message names the file and the offending key, e.g.
    ``syncwright.toml: systems.clientbook.base_url: Input should be a valid URL``.
    """


class PluginError(SyncwrightError):
    """A connector could not be found, loaded, or did not answer a hook."""


class ConnectorError(SyncwrightError):
    """Base class of errors a connector raises while talking to its system."""

    def __init__(self, message: str, *, system: str | None = None, status: int | None = None):
        super().__init__(message)
        self.system = system
        self.status = status


class RetryableError(ConnectorError):
    """A transient failure: 429, 5xx, timeout, dropped connection, malformed body.

    ``retry_after`` is the wait the system asked for (seconds), when it said one.
    """

    def __init__(
        self,
        message: str,
        *,
        system: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, system=system, status=status)
        self.retry_after = retry_after


class FatalError(ConnectorError):
    """A failure that retrying cannot fix: bad credentials, a missing endpoint, a bug."""


class RetryBudgetExhausted(ConnectorError):
    """A retryable failure outlived its retry budget; the work stays pending for the next run."""


class RecordRejected(ConnectorError):
    """The system refused this one record (validation, conflict); it goes to quarantine.

    ``rule`` names the rule involved (e.g. ``G-5`` or ``IS-4``) and ``field`` the bad field.
    """

    def __init__(
        self,
        message: str,
        *,
        system: str | None = None,
        status: int | None = None,
        rule: str = "G-5",
        field: str | None = None,
    ):
        super().__init__(message, system=system, status=status)
        self.rule = rule
        self.field = field


class StaleVersion(RecordRejected):
    """The record changed on the system since it was read (optimistic concurrency)."""


def describe(exc: Exception) -> str:
    """A short, one-line account of why a value was refused.

    A pydantic ``ValidationError`` becomes ``field.path: message; …`` without pydantic's
    links and input dumps; anything else is its message on one line.
    """
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            message = str(err["msg"]).removeprefix("Value error, ")
            parts.append(f"{where}: {message}" if where else message)
        return "; ".join(parts)
    return " ".join(str(exc).split())
