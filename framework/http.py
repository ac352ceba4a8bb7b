"""HTTP for connectors: the framework builds each system's client, meters it, and classifies errors.

Connectors never build their own clients: the framework hands them ``system.http`` with
the base URL, timeout, TLS setting, a client-side rate limit (IS-6), call counting, and in
tests the fake's in-process transport. ``request_json`` turns every failure into one of
the error classes the engine acts on (retry, quarantine, stop).
"""

from __future__ import annotations

import functools
import logging
import math
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import certifi
import httpx
import orjson
from pyrate_limiter import Duration, Limiter, Rate

from framework.errors import ConnectorError, FatalError, RecordRejected, RetryableError
from framework.models import HttpSettings
from framework.secrets import mask_credentials

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class CallMeter:
    """Counts requests per system and outcome, for run reports and the API budget (IS-6)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()  # writes in flight count from several threads

    def add(self, system: str, outcome: str) -> None:
        """Count one request of ``system`` with ``outcome`` (a status class or error)."""
        with self._lock:
            self.counts[f"{system}.calls"] += 1
            if outcome != "ok":
                self.counts[f"{system}.{outcome}"] += 1

    def calls(self, system: str) -> int:
        """How many requests ``system`` was sent."""
        return self.counts[f"{system}.calls"]

    def snapshot(self) -> dict[str, int]:
        """A copy of all counts."""
        return dict(self.counts)


# What the limiter adds to each computed wait (pyrate-limiter's default is 50 ms): paced in
# one-second slices, 50 ms a slice was 5% of the allowed rate lost (measured: 94.7% of the
# cap reached, 99.2% with 5 ms; benchmarks/RESULTS.md).
PACING_BUFFER_MS = 5


def paced_rates(per_window: int, window: float) -> list[Rate]:
    """The limiter's rates for "at most ``per_window`` requests in any ``window`` seconds".

    The cap alone lets a client send the whole window's budget at once, then wait out the
    rest of the window: fine for a platform that counts over exactly that window, a storm of
    429s for one that enforces the same rate over shorter slices (many do, and none says
    which), and idle time either way. So the budget is also paced in slices of about a
    second: ``k`` requests per ``k * window / per_window`` seconds, the same rate.
    """
    whole = Rate(per_window, int(window * Duration.SECOND))
    share = min(per_window, math.ceil(per_window / window))  # about one second's worth
    slice_ms = int(share * window * Duration.SECOND / per_window)
    if share >= per_window or slice_ms >= whole.interval:
        return [whole]
    return [Rate(share, slice_ms), whole]


class MeteredTransport(httpx.BaseTransport):
    """Wraps a transport: waits for the rate limiter, counts every request and its outcome.

    With ``per_window`` set, at most that many requests start in any ``window`` seconds;
    a request beyond it waits for its turn (IS-6: the client keeps under the system's cap
    instead of running into its 429s). The cap is also spread over the window (see
    :func:`paced_rates`), so a run never spends a minute's budget in its first second.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        system: str,
        meter: CallMeter,
        per_window: int | None = None,
        window: float = 60.0,
        limiter: Limiter | None = None,
    ):
        self.inner = inner
        self.system = system
        self.meter = meter
        self.limiter = limiter or (
            Limiter(paced_rates(per_window, window), buffer_ms=PACING_BUFFER_MS)
            if per_window
            else None
        )
        # Writes in flight wait for their turn one behind the other: several threads asking
        # the limiter at once each sleep its computed wait, wake together and all but one
        # sleep again (measured at 10k, 8 in flight: 62% of the cap instead of 100%).
        self._turn = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request."""
        if self.limiter is not None:
            with self._turn:
                self.limiter.try_acquire(self.system)
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as exc:
            self.meter.add(self.system, type(exc).__name__)
            raise
        status = response.status_code
        self.meter.add(self.system, "ok" if status < 400 else str(status))
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s: %s %s -> %d", self.system, request.method, request.url.path, status)
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process (certifi's roots, as httpx's default).

    Making one reads the CA bundle: 0.12 s, once per client, which was a quarter of a
    small store's run on a fleet worker (each job builds its engine's clients afresh).
    """
    return ssl.create_default_context(cafile=certifi.where())


def build_client(
    name: str,
    settings: HttpSettings,
    meter: CallMeter,
    transport: httpx.BaseTransport | None = None,
    limiter: Limiter | None = None,
) -> httpx.Client:
    """Build the client of one system from its settings.

    ``transport`` replaces the network (a fake's in-process transport in tests);
    ``limiter`` replaces the client's own rate limiter (a budget shared by many workers).
    """
    if not settings.verify_tls:
        log.warning("TLS verification is OFF for system %r (verify_tls = false)", name)
    inner = transport or httpx.HTTPTransport(verify=tls_context() if settings.verify_tls else False)
    return httpx.Client(
        base_url=str(settings.base_url).rstrip("/"),
        timeout=settings.timeout,
        transport=MeteredTransport(
            inner, name, meter, settings.rate_limit_per_minute, limiter=limiter
        ),
        headers={"user-agent": "syncwright"},
    )


def transport_error(
    system: str, method: str, url: str, exc: httpx.TransportError
) -> ConnectorError:
    """The framework error for a request that got no answer; never the exception's text.

    A request the HTTP library refuses to send (``LocalProtocolError``: a header value with a
    line break, as a credential read from a file with its newline) is a configuration error:
    retrying sends the same request, and the library's message quotes the header, so it is
    not repeated. Anything else (refused, unresolvable, timed out, dropped) is transient and
    said in one line naming host:port and how (:func:`transport_failure`).
    """
    if isinstance(exc, httpx.LocalProtocolError):
        doing = " ".join(part for part in (method, url) if part)
        return FatalError(
            f"{system}: {doing} was not sent: the HTTP library refused the request as invalid "
            "(a header value with a character HTTP forbids, such as a line break in a "
            "credential); check the system's settings",
            system=system,
        )
    return RetryableError(transport_failure(system, method, url, exc), system=system)


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def transport_failure(system: str, method: str, url: str, exc: httpx.TransportError) -> str:
    """One line saying which host:port could not be reached and how, or how a call failed.

    ``clientbook: cannot reach 127.0.0.1:8801: connection refused`` (or: host name not
    resolved, no connection within 10 s, TLS handshake failed); for a connection made and
    then lost: ``clientbook: GET /v1/clients: no answer within 10 s``.
    """
    try:
        target = exc.request.url
        port = target.port or (443 if target.scheme == "https" else 80)
        where = f"{target.host}:{port}"
        timeout = exc.request.extensions.get("timeout", {})
    except RuntimeError:  # an error raised without its request
        where, timeout = "its host", {}
    causes = _causes(exc)
    doing = " ".join(part for part in (method, url) if part)
    if isinstance(exc, httpx.ConnectTimeout):
        waited = timeout.get("connect")
        within = f" within {waited:g} s" if waited else ""
        return f"{system}: cannot reach {where}: no connection{within} (timed out)"
    if isinstance(exc, httpx.ConnectError):
        if any(isinstance(c, ConnectionRefusedError) for c in causes):
            how = "connection refused (nothing listens there)"
        elif any(isinstance(c, socket.gaierror) for c in causes):
            how = "host name not resolved"
        elif any(isinstance(c, ssl.SSLError) for c in causes):
            how = f"TLS handshake failed ({causes[-1]})"
        else:
            how = str(causes[-1]) or type(causes[-1]).__name__
        return f"{system}: cannot reach {where}: {how}"
    if isinstance(exc, httpx.TimeoutException):
        waited = timeout.get("read")
        within = f" within {waited:g} s" if waited else ""
        return f"{system}: {doing}: no answer{within} (timed out)"
    return f"{system}: {doing}: the connection failed ({type(exc).__name__}: {exc})"


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
    except httpx.TransportError as exc:
        raise transport_error(system, method, url, exc) from None
    status = response.status_code
    if status in ok:
        return response
    # An answer may echo the request's credentials (some gateways do): never pass them on,
    # not even to the connector's reading of the answer (which may cut it short mid-secret).
    credentials = response.request.headers.multi_items()
    masked = httpx.Response(
        status,
        headers=[(k, v) for k, v in response.headers.multi_items() if k not in _BODY_HEADERS],
        content=mask_credentials(response.text, credentials).encode(response.encoding or "utf-8"),
        request=response.request,
    )
    detail = mask_credentials(error_text(masked), credentials)
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
