"""HTTP for connectors: the framework builds each system's client, meters it, and classifies errors.

Connectors never build their own clients: the framework hands them ``system.http`` with
the base URL, timeout, TLS setting, a client-side rate limit (IS-6), call counting, and in
tests the fake's in-process transport. ``request_json`` turns every failure into one of
the error classes the engine acts on (retry, quarantine, stop).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from pyrate_limiter import Duration, Limiter, Rate

from framework.errors import FatalError, RecordRejected, RetryableError
from framework.models import HttpSettings
from framework.secrets import mask_credentials

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class CallMeter:
    """Counts requests per system and outcome, for run reports and the API budget (IS-6)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, system: str, outcome: str) -> None:
        """Count one request of ``system`` with ``outcome`` (a status class or error)."""
        self.counts[f"{system}.calls"] += 1
        if outcome != "ok":
            self.counts[f"{system}.{outcome}"] += 1

    def calls(self, system: str) -> int:
        """How many requests ``system`` was sent."""
        return self.counts[f"{system}.calls"]

    def snapshot(self) -> dict[str, int]:
        """A copy of all counts."""
        return dict(self.counts)


class MeteredTransport(httpx.BaseTransport):
    """Wraps a transport: waits for the rate limiter, counts every request and its outcome.

    With ``per_window`` set, at most that many requests start in any ``window`` seconds;
    a request beyond it waits for its turn (IS-6: the client keeps under the system's cap
    instead of running into its 429s).
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        system: str,
        meter: CallMeter,
        per_window: int | None = None,
        window: float = 60.0,
    ):
        self.inner = inner
        self.system = system
        self.meter = meter
        self.limiter = (
            Limiter(Rate(per_window, int(window * Duration.SECOND))) if per_window else None
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request."""
        if self.limiter is not None:
            self.limiter.try_acquire(self.system)
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as exc:
            self.meter.add(self.system, type(exc).__name__)
            raise
        status = response.status_code
        self.meter.add(self.system, "ok" if status < 400 else str(status))
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()


def build_client(
    name: str,
    settings: HttpSettings,
    meter: CallMeter,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """Build the client of one system from its settings.

    ``transport`` replaces the network (a fake's in-process transport in tests).
    """
    if not settings.verify_tls:
        log.warning("TLS verification is OFF for system %r (verify_tls = false)", name)
    inner = transport or httpx.HTTPTransport(verify=settings.verify_tls)
    return httpx.Client(
        base_url=str(settings.base_url).rstrip("/"),
        timeout=settings.timeout,
        transport=MeteredTransport(inner, name, meter, settings.rate_limit_per_minute),
        headers={"user-agent": "syncwright"},
    )


def retry_after(response: httpx.Response) -> float | None:
    """The wait a response asks for, from ``Retry-After`` (seconds), if any."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


ErrorText = Callable[[httpx.Response], str]


def _default_error_text(response: httpx.Response) -> str:
    text = response.text[:300]
    return text.replace("\n", " ")


def request_checked(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    system: str,
    error_text: ErrorText = _default_error_text,
    ok: tuple[int, ...] = (200, 201, 202, 204, 207),
    **kwargs: Any,
) -> httpx.Response:
    """Send a request and return its response when its status is one of ``ok``.

    For a connector that needs more than the body (a ``Date`` or paging header).

    Raises:
        RetryableError: 408/425/429/5xx, a timeout, a dropped connection.
        FatalError: 401/403/404 and other statuses retrying cannot fix.
        RecordRejected: 400/409/422: the system refused this record.
    """
    if "json" in kwargs:
        kwargs["content"] = orjson.dumps(kwargs.pop("json"))
        kwargs.setdefault("headers", {})["content-type"] = "application/json"
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise RetryableError(
            f"{system}: {method} {url} timed out ({type(exc).__name__})", system=system
        ) from None
    except httpx.TransportError as exc:
        raise RetryableError(
            f"{system}: {method} {url} failed: {type(exc).__name__}", system=system
        ) from None
    status = response.status_code
    if status in ok:
        return response
    # An answer may echo the request's credentials (some gateways do): never pass them on.
    detail = mask_credentials(error_text(response), response.request.headers.multi_items())
    message = f"{system}: {method} {url} answered {status}: {detail}"
    if status in RETRYABLE_STATUS:
        raise RetryableError(
            message, system=system, status=status, retry_after=retry_after(response)
        )
    if status in (400, 409, 422):
        raise RecordRejected(message, system=system, status=status)
    raise FatalError(message, system=system, status=status)


def json_body(response: httpx.Response, system: str) -> Any:
    """The parsed JSON body of a response (``None`` for an empty body).

    Raises:
        RetryableError: the body is not JSON (a cut-off answer).
    """
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        request = response.request
        raise RetryableError(
            f"{system}: {request.method} {request.url.path} answered {response.status_code} "
            "with a malformed body",
            system=system,
            status=response.status_code,
        ) from None


def request_json(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    system: str,
    error_text: ErrorText = _default_error_text,
    ok: tuple[int, ...] = (200, 201, 202, 204, 207),
    **kwargs: Any,
) -> Any:
    """Send a request and return its parsed JSON body (``None`` for an empty body).

    Raises:
        RetryableError: 408/425/429/5xx, a timeout, a dropped connection, a malformed body.
        FatalError: 401/403/404 and other statuses retrying cannot fix.
        RecordRejected: 400/409/422: the system refused this record.
    """
    response = request_checked(
        client, method, url, system=system, error_text=error_text, ok=ok, **kwargs
    )
    return json_body(response, system)
