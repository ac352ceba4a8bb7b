"""Keeping secrets out of output: every known secret is replaced by ``***`` in logs and errors.

The engine registers every ``SecretStr`` of each system's settings when it starts (API
keys, tokens, passwords); ``RedactingFilter`` on the root logger and ``redact`` on error
messages, problem reasons and run errors do the rest. ``request_json`` also masks the
credentials a request carried wherever an answer echoes them. Secrets are held as pydantic
``SecretStr``, which never prints its value, and are never written to the state store.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel, SecretStr

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
MASK = "***"


def from_environment(value: Any) -> Any:
    """``"env:NAME"`` is the value of the environment variable ``NAME``; anything else is itself.

    Lets a configuration file name where a secret is instead of holding it.

    Raises:
        ValueError: the variable is not set (pydantic reports it under the key).
    """
    if isinstance(value, str) and value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name]
    return value


def register_secret(value: str | None) -> None:
    """Remember a secret so it is masked wherever it would be printed."""
    if value and len(value) >= 4:
        with _LOCK:
            _SECRETS.add(value)


def secrets_in(settings: Any) -> Iterator[str]:
    """Every ``SecretStr`` value held by ``settings`` (a pydantic model), nested ones too."""
    if isinstance(settings, SecretStr):
        yield settings.get_secret_value()
    elif isinstance(settings, BaseModel):
        for value in settings.__dict__.values():
            yield from secrets_in(value)
    elif isinstance(settings, dict):
        for value in settings.values():
            yield from secrets_in(value)
    elif isinstance(settings, list | tuple):
        for value in settings:
            yield from secrets_in(value)


# Request headers whose values are credentials; an answer echoing one must not show it.
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "x-auth-token"}
)


def mask_credentials(text: str, headers: Iterable[tuple[str, str]]) -> str:
    """``text`` with the credentials of these request headers masked (and known secrets)."""
    for name, value in headers:
        if name.lower() not in CREDENTIAL_HEADERS or not value:
            continue
        parts = value.split()  # "Bearer <token>": mask the token, keep the scheme
        for part in parts[1:] if len(parts) > 1 else [value]:
            if len(part) >= 4 and part in text:
                text = text.replace(part, MASK)
    return redact(text)


def redact(text: str) -> str:
    """``text`` with every registered secret masked."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Masks registered secrets in every log record that passes through."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message with secrets masked; never drops a record."""
        if _SECRETS:
            message = record.getMessage()
            masked = redact(message)
            if masked != message:
                record.msg, record.args = masked, ()
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to every handler of the root logger."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
