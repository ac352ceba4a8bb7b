"""Talking to Clientbook: authenticated JSON calls and reading a change feed with a cursor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from framework import (
    Change,
    ChangePage,
    FatalError,
    HttpSettings,
    RecordRejected,
    SystemContext,
    request_json,
)
from framework.cursors import FeedCursor, parse_utc


def error_text(response: Any) -> str:
    """Clientbook's error body as one line: ``type: message (field f)``."""
    try:
        err = response.json()["error"]
        field = f" (field {err['field']})" if err.get("field") else ""
        return f"{err['type']}: {err['message']}{field}"
    except Exception:
        return str(response.text[:200])


def call(system: SystemContext, method: str, url: str, **kwargs: Any) -> Any:
    """One call with the API key (``framework.request_json`` classifies failures)."""
    assert system.http is not None, "the framework builds the HTTP client"
    settings = system.settings
    assert isinstance(settings, HttpSettings)
    headers = kwargs.pop("headers", {})
    if settings.api_key is not None:
        headers["authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
    return request_json(
        system.http,
        method,
        url,
        system=system.name,
        error_text=error_text,
        headers=headers,
        **kwargs,
    )


def actor_of(record: dict[str, Any]) -> str | None:
    """The Clientbook user behind a record's last change (``None`` for the API key)."""
    actor = record.get("updated_by")
    return None if actor in (None, "api") else str(actor)


def feed_base(entity: str, record: dict[str, Any]) -> dict[str, Any]:
    """The fields every change read from a Clientbook feed has."""
    return {
        "entity": entity,
        "id": record["id"],
        "link_key": record["id"],
        "actor": actor_of(record),
        "updated_at": parse_utc(record["updated_at"]),
        "version": str(record.get("version", "")),
    }


def fetch_feed(
    system: SystemContext,
    path: str,
    cursor: str | None,
    limit: int,
    to_change: Callable[[Any], Change | None],
) -> ChangePage:
    """One page of a change feed; ``to_change`` returns ``None`` for records to skip."""
    position = FeedCursor.load(cursor)
    params: dict[str, Any] = {"limit": min(limit, 500)}
    if position.since is not None:
        params["updated_since"] = position.since.isoformat()
    if position.token:
        params["page_token"] = position.token
    body = call(system, "GET", path, params=params)
    changes = []
    for record in body["data"]:
        stamp = _stamp(record)
        # A record without a readable id or time goes to ``to_change``, which names what is
        # wrong (G-5); the cursor does not move on its time.
        fresh = stamp is None or position.fresh(
            str(record["id"]), str(record.get("version", "")), stamp
        )
        if fresh and (change := to_change(record)) is not None:
            changes.append(change)
    next_token = body.get("next_page_token")
    return ChangePage(
        changes=changes, cursor=position.after_page(next_token).dump(), more=next_token is not None
    )


def _stamp(record: Any) -> dt.datetime | None:
    """When a feed record changed, or ``None`` when it has no readable id or time."""
    if not isinstance(record, dict) or not record.get("id"):
        return None
    try:
        return parse_utc(str(record["updated_at"]))
    except (KeyError, ValueError):
        return None


def write(system: SystemContext, method: str, url: str, **kwargs: Any) -> Any:
    """A write to one record: ``404`` (the record is gone) is that record's problem (G-5)."""
    try:
        return call(system, method, url, **kwargs)
    except FatalError as exc:
        if exc.status == 404:
            raise RecordRejected(str(exc), system=system.name, status=404) from None
        raise


def delete(system: SystemContext, url: str) -> None:
    """Delete one record; one already gone counts as deleted (G-6)."""
    try:
        call(system, "DELETE", url)
    except FatalError as exc:
        if exc.status != 404:
            raise
