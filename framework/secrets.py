"""Keeping secrets out of output: every known secret is replaced by ``***``, in any form.

The engine registers every ``SecretStr`` of each system's settings when it starts (API
keys, tokens, passwords); ``RedactingFilter`` on the root logger (messages and
tracebacks) and ``redact`` on error messages, problem reasons, run errors and the CLI's
errors do the rest. ``request_json`` also masks the credentials a request carried wherever
an answer echoes them, before a connector reads the answer. Secrets are held as pydantic
``SecretStr``, which never prints its value, and are never written to the state store.

A secret is masked in every form it can take in text (:func:`forms`): as it is; escaped as
in a Python ``repr`` of it or of its bytes (``b'Bearer ...'``, as an HTTP library's debug
line or error shows a header), in JSON; URL-encoded; and inside base64 (HTTP basic auth),
at any alignment. Surrounding whitespace is no part of a secret: a value read from a file
keeps its newline, so settings strip it (:func:`tidy_secrets`) and a secret with a control
character inside is refused when the configuration loads, naming the setting, never the
value.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import threading
import traceback
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, SecretStr

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
_PATTERN: re.Pattern[str] | None = None  # every form of every secret, longest first
MASK = "***"
MIN_LENGTH = 4  # shorter values are not masked (they would mask ordinary words)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def from_environment(value: Any) -> Any:
    """A secret setting's value: ``"env:NAME"`` is the environment variable ``NAME``.

    Lets a configuration file name where a secret is instead of holding it. Surrounding
    whitespace is stripped (a key read from a file keeps its newline); anything but a string
    is returned as it is.

    Raises:
        ValueError: the variable is not set (pydantic reports it under the key).
    """
    if isinstance(value, str) and value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name].strip()
    return value.strip() if isinstance(value, str) else value


def tidy_secrets(settings: BaseModel) -> str | None:
    """Strip surrounding whitespace from every ``SecretStr`` of ``settings``, in place.

    Any connector's settings get this when the configuration loads, whatever their model
    does. Returns the dotted name of the first secret that is empty or holds a control
    character inside (a line break, a tab), which no credential does; ``None`` when all are
    sound. The value itself is never part of what it returns.
    """
    for name, value in settings.__dict__.items():
        if isinstance(value, SecretStr):
            if (tidy := _tidy(value)) is None:
                return name
            settings.__dict__[name] = tidy  # where pydantic keeps it, frozen models too
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, SecretStr):
                    if (tidy := _tidy(item)) is None:
                        return f"{name}[{index}]"
                    value[index] = tidy
        elif isinstance(value, BaseModel) and (inner := tidy_secrets(value)):
            return f"{name}.{inner}"
    return None


def _tidy(secret: SecretStr) -> SecretStr | None:
    """The secret without surrounding whitespace; ``None`` if empty or with a control character."""
    text = secret.get_secret_value().strip()
    if not text or _CONTROL.search(text):
        return None
    return secret if text == secret.get_secret_value() else SecretStr(text)


def register_secret(value: str | None) -> None:
    """Remember a secret so it is masked wherever it would be printed, in any form."""
    global _PATTERN
    value = (value or "").strip()
    if len(value) >= MIN_LENGTH:
        with _LOCK:
            if value not in _SECRETS:
                _SECRETS.add(value)
                _PATTERN = None


def forms(secret: str) -> set[str]:
    """The ways ``secret`` can be written in text, each of which must be masked.

    As it is; escaped by Python's ``repr`` of the text or of its UTF-8 bytes (a header in
    ``b'...'``); escaped in JSON (both with and without ``ensure_ascii``); URL-encoded
    (path and form encoding, upper- and lower-case hex); and the base64 runs (standard and
    URL-safe alphabets) that any text holding it encodes to, whatever precedes it (a basic
    auth ``user:secret``): for each of the three alignments the characters that depend on
    the secret's bytes alone.
    """
    raw = secret.encode("utf-8", "surrogatepass")
    found = {
        secret,
        repr(secret)[1:-1],
        repr(raw)[2:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    for encoded in (quote(secret, safe=""), quote(secret), quote_plus(secret)):
        found |= {encoded, re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), encoded)}
    for shift, skip in ((0, 0), (1, 2), (2, 3)):  # bytes before it; base64 characters they touch
        whole = (shift + len(raw)) // 3 * 3  # complete groups only: what follows is unknown
        if whole - shift < 3:
            continue
        encoded = base64.b64encode(b"\0" * shift + raw[: whole - shift]).decode()[skip:]
        if len(encoded) >= 8:
            found |= {encoded, encoded.replace("+", "-").replace("/", "_")}
    return {f for f in found if len(f) >= MIN_LENGTH}


def _pattern() -> re.Pattern[str] | None:
    global _PATTERN
    with _LOCK:
        if _PATTERN is None and _SECRETS:
            every = {form for secret in _SECRETS for form in forms(secret)}
            alternatives = sorted(every, key=len, reverse=True)
            _PATTERN = re.compile("|".join(re.escape(a) for a in alternatives))
        return _PATTERN


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
    """``text`` with the credentials of these request headers masked, in any form.

    Known secrets are masked too. Each word after the scheme is masked (``Bearer <token>``)
    or the whole value when it has none; a basic auth's user and password too, in clear.
    """
    words: set[str] = set()
    for name, value in headers:
        if name.lower() not in CREDENTIAL_HEADERS or not value:
            continue
        parts = value.split()  # "Bearer <token>": mask the token, keep the scheme
        words |= set(parts[1:] if len(parts) > 1 else [value.strip()])
        if len(parts) == 2 and parts[0].lower() == "basic":  # user:password, in clear
            words |= _basic_auth(parts[1])
    every = {form for word in words if len(word) >= MIN_LENGTH for form in forms(word)}
    for form in sorted(every, key=len, reverse=True):
        text = text.replace(form, MASK)
    return redact(text)


def _basic_auth(encoded: str) -> set[str]:
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except ValueError:  # not base64 of UTF-8 text (binascii.Error is a ValueError)
        return set()
    return {f"{user}:{password}", password}


def redact(text: str) -> str:
    """``text`` with every registered secret masked, in every form (:func:`forms`)."""
    pattern = _pattern()
    return text if pattern is None else pattern.sub(MASK, text)


class RedactingFilter(logging.Filter):
    """Masks registered secrets in every log record that passes through, traceback too."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message (and a traceback) with secrets masked; never drops a record."""
        if _SECRETS:
            message = record.getMessage()
            masked = redact(message)
            if masked != message:
                record.msg, record.args = masked, ()
            if record.exc_info and not record.exc_text:
                record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            if record.exc_text:  # shown as text from here on, never rendered from exc_info
                record.exc_text, record.exc_info = redact(record.exc_text), None
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to every handler of the root logger."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
