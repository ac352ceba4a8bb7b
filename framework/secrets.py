"""Keeping secrets out of output: every known secret is replaced by ``***`` in logs and errors.

The engine registers each system's API key when it starts; ``RedactingFilter`` on the root
logger and ``redact`` on error messages do the rest. Keys are held as pydantic
``SecretStr``, which never prints its value, and are never written to the state store.
"""

from __future__ import annotations

import logging
import threading

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
MASK = "***"


def register_secret(value: str | None) -> None:
    """Remember a secret so it is masked wherever it would be printed."""
    if value and len(value) >= 4:
        with _LOCK:
            _SECRETS.add(value)


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
