"""What travels through the webhook hooks: a received notification, the events it holds."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class Notification(BaseModel):
    """One HTTP request a platform sent to ``POST /hooks/{system}``, exactly as received.

    ``url`` is the notification URL the platform was given (``serve.public_url`` +
    ``/hooks/{system}``): Square signs it together with the body, so it must be the
    registered one, not the URL the request reached through a proxy. ``headers`` have
    lower-case names. ``body`` is the raw body: a signature is over bytes, never over
    parsed JSON.
    """

    model_config = ConfigDict(extra="forbid")

    url: str
    headers: dict[str, str]
    body: bytes
    received_at: float = Field(description="Epoch seconds when the server read it")


class WebhookEvent(BaseModel):
    """One change a notification announces: which records, what happened, its id and time.

    The engine never takes the event as the record's state: it only says which records to
    read again (fresh) in a targeted run. ``kind`` is ``created``, ``updated``, ``deleted``
    or ``merged``; ``record_ids`` are ids on the notifying system (a merge names the
    survivor and the merged ones). ``event_id`` is the platform's id of the event,
    the same on every delivery of it: notifications are de-duplicated by it.
    """

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1)
    entity: str
    kind: str
    record_ids: list[str]
    occurred_at: dt.datetime | None = None


class Subscription(BaseModel):
    """A platform's webhook subscription for one configured system, as checked or made.

    ``signing_secret`` is set when the platform handed out a new one (Square returns the
    signature key when a subscription is created): the operator stores it in the
    system's settings; it is never logged or printed.
    """

    model_config = ConfigDict(extra="forbid")

    ok: bool
    detail: str = Field(description="One line: the subscription found or made, or what is wrong")
    id: str | None = None
    created: bool = False
    signing_secret: str | None = Field(None, repr=False)
