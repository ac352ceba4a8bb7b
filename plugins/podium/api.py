"""Talking to Podium: bearer-token calls that refresh once on a 401, and paged lists.

``framework.request_json`` classifies failures (429 and 5xx retried, 400 refused, 401/403/404
fatal); Podium's error body ``{code, message, moreInfo}`` becomes the one-line reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from framework import FatalError, RecordRejected, SystemContext, request_json
from plugins.podium.auth import access_token


def error_text(response: httpx.Response) -> str:
    """Podium's error body as one line: ``code: message``."""
    try:
        body = response.json()
        return f"{body['code']}: {body.get('message')}"
    except Exception:
        return str(response.text[:200]).replace("\n", " ")


def call(system: SystemContext, method: str, url: str, **kwargs: Any) -> Any:
    """One authenticated call; a 401 gets a new access token and one more try."""
    assert system.http is not None, "the framework builds the HTTP client"
    headers = dict(kwargs.pop("headers", {}))
    token: str | None = None
    for attempt in (1, 2):
        token = access_token(system, refused=token)  # the second: a new one after a 401
        headers["authorization"] = f"Bearer {token}"
        try:
            return request_json(
                system.http,
                method,
                url,
                system=system.name,
                error_text=error_text,
                headers=headers,
                **kwargs,
            )
        except FatalError as exc:
            if exc.status != 401 or attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def write(system: SystemContext, method: str, url: str, **kwargs: Any) -> Any:
    """A write to one record: a 404 (the record is gone) is that record's problem (G-5)."""
    try:
        return call(system, method, url, **kwargs)
    except FatalError as exc:
        if exc.status == 404:
            raise RecordRejected(str(exc), system=system.name, status=404) from None
        raise


def find(system: SystemContext, path: str) -> dict[str, Any] | None:
    """``GET`` one record; ``None`` when Podium answers 404."""
    try:
        body = call(system, "GET", path)
    except FatalError as exc:
        if exc.status == 404:
            return None
        raise
    data: dict[str, Any] | None = (body or {}).get("data")
    return data


def every(system: SystemContext, path: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item of a list, page after page (``metadata.nextCursor``)."""
    cursor: str | None = None
    while True:
        query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
        body = call(system, "GET", path, params=query) or {}
        yield from body.get("data") or []
        cursor = (body.get("metadata") or {}).get("nextCursor")
        if not cursor:
            return


def contact_path(identifier: str, *rest: str) -> str:
    """``/v4/contacts/{identifier}/…`` with the identifier quoted (``+`` and ``@`` kept)."""
    return "/".join(["/v4/contacts", quote(identifier, safe="@+"), *rest])
