"""The official Square SDK on the framework's HTTP client, and its errors as framework errors.

The SDK takes an injected ``httpx.Client`` and joins ``base_url`` and the path into an
absolute URL, so every request goes through ``system.http`` (metering, rate limit, and in
tests the fake's transport). The SDK's own retries are turned off: the engine retries, with
backoff and ``Retry-After`` (G-5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from square import Square
from square.core.api_error import ApiError

from framework import FatalError, RecordRejected, RetryableError, StaleVersion, SystemContext
from framework.http import RETRYABLE_STATUS, retry_after, transport_error
from plugins.square.settings import SquareSettings

T = TypeVar("T")
NO_RETRIES: Any = {"max_retries": 0}


def settings_of(system: SystemContext) -> SquareSettings:
    """The system's settings."""
    assert isinstance(system.settings, SquareSettings)
    return system.settings


def client(system: SystemContext) -> Square:
    """The SDK client of one system (built once, kept in the system's cache)."""
    sdk = system.cache.get("sdk")
    if sdk is None:
        settings = settings_of(system)
        assert system.http is not None, "the framework builds the HTTP client"
        token = settings.api_key.get_secret_value() if settings.api_key else None
        sdk = Square(
            token=token,
            base_url=str(settings.base_url).rstrip("/"),
            httpx_client=system.http,
            version=settings.square_version,
        )
        system.cache["sdk"] = sdk
    assert isinstance(sdk, Square)
    return sdk


def call(system: SystemContext, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call the SDK; every failure becomes the framework error the engine acts on."""
    try:
        return fn(*args, request_options=NO_RETRIES, **kwargs)
    except ApiError as exc:
        raise classify(system, what, exc) from None
    except httpx.TransportError as exc:
        raise transport_error(system.name, "", what, exc) from None


def classify(system: SystemContext, what: str, exc: ApiError) -> Exception:
    """The framework error for one Square error response."""
    status = exc.status_code or 0
    first: dict[str, Any] = {}
    if isinstance(exc.body, dict) and exc.body.get("errors"):
        first = dict(exc.body["errors"][0])
    code, field = first.get("code", "?"), first.get("field")
    detail = " ".join(str(first.get("detail") or "").split())[:300]
    message = f"{system.name}: {what}: Square answered {status} {code}: {detail}"
    if field:
        message += f" (field {field})"
    if 200 <= status < 300:
        return RetryableError(f"{system.name}: {what}: a malformed body", system=system.name)
    if status in RETRYABLE_STATUS:
        headers = httpx.Headers(exc.headers or {})
        wait = retry_after(httpx.Response(status, headers=headers))
        return RetryableError(message, system=system.name, status=status, retry_after=wait)
    if status == 409 and field and field.endswith("version"):
        return StaleVersion(
            message + "; it changed on Square since it was read, the next run merges it",
            system=system.name,
            status=status,
            field=field,
        )
    if status in (400, 404, 409, 422):
        return RecordRejected(message, system=system.name, status=status, field=field)
    return FatalError(message, system=system.name, status=status)
