"""A configuration error as one line: the file, the key, what is wrong, what was meant."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from framework.errors import ConfigError


def validated(
    model: type[Any],
    data: Any,
    source: str,
    loc: tuple[str, ...],
    context: dict[str, Any] | None = None,
) -> Any:
    """``data`` as ``model``, or one line naming ``source`` and the key (:class:`ConfigError`)."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(one_line(source, loc, exc, model)) from None


def one_line(
    source: str, loc: tuple[str, ...], exc: ValidationError, model: type[Any] | None = None
) -> str:
    """Every error on one line, unknown keys first (a typo often makes a key "missing" too)."""
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    parts = []
    for err in errors:
        where = ".".join(str(p) for p in (*loc, *err["loc"]))
        if err["type"] == "extra_forbidden":
            known = keys_at(model, err["loc"][:-1]) if model is not None else []
            message = f"unknown key{suggest(str(err['loc'][-1]), known)}"
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    shown = parts[:3]
    more = f" (and {len(parts) - 3} more)" if len(parts) > 3 else ""
    return f"{source}: {'; '.join(shown)}{more}"


def suggest(word: str, known: list[str]) -> str:
    """`` (did you mean 'x'?)``, else `` (known: a, b)``, else nothing."""
    if not known:
        return ""
    close = difflib.get_close_matches(word, known, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known: {', '.join(known)})"


def keys_at(model: type[Any], path: tuple[Any, ...]) -> list[str]:
    """The keys a pydantic model takes at ``path`` inside it (``[]`` when it cannot tell)."""
    current: Any = model
    parts = list(path)
    while True:
        origin = typing.get_origin(current)
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in typing.get_args(current) if a is not type(None)]
            current = inner[0] if len(inner) == 1 else None
            continue
        if origin in (list, dict) and parts:
            parts.pop(0)
            current = typing.get_args(current)[-1]
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not parts:
                return [f.alias or name for name, f in current.model_fields.items()]
            field = current.model_fields.get(str(parts.pop(0)))
            if field is None:
                return []
            current = field.annotation
            continue
        return []
