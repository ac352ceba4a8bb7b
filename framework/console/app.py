"""The console's Starlette application: routes, sessions, security headers, errors."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from framework.config import Config
from framework.console import operator_pages, pages
from framework.console.auth import Auth, csrf_token, current_user, flashed
from framework.console.jobs import Jobs
from framework.engine.engine import Engine
from framework.engine.lease import LeaseHeld
from framework.errors import SyncwrightError
from framework.facade import Hooks
from framework.secrets import redact, register_secret

HERE = Path(__file__).parent
T = TypeVar("T")

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        b"object-src 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """The usual security headers on every answer (CSP without inline scripts or styles)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers an answer does not set itself."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


@dataclass
class NavEntry:
    """A page in the navigation bar."""

    title: str
    path: str


NAV = [
    NavEntry("Overview", "/"),
    NavEntry("Runs", "/runs"),
    NavEntry("Problems", "/problems"),
    NavEntry("Records", "/records"),
    NavEntry("Duplicates", "/duplicates"),
    NavEntry("Run now", "/run-now"),
]

# The operators' pages (issue 15): the plan and the guard's held runs; a record's history
# and links are on its record page (framework/console/operator_pages.py).
OPTIONAL_NAV: list[NavEntry] = [NavEntry("Plan and guard", "/plan")]
OPTIONAL_ROUTES: list[Route] = operator_pages.ROUTES


class Console:
    """What the pages share: the configuration, an engine for reading, runs started here.

    The engine's work (store reads, a merge's calls) is done by :meth:`call` in a worker
    thread, one call at a time: the event loop never waits for a system, and the store's
    connection is never used by two threads at once.
    """

    def __init__(self, config: Config, engines: Callable[[], Engine], auth: Auth):
        self.config = config
        self.engines = engines
        self.engine = engines()
        self.jobs = Jobs(engines)
        self.auth = auth
        self.templates = _templates()
        self._one_at_a_time = anyio.CapacityLimiter(1)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the worker thread (one call at a time)."""
        return await anyio.to_thread.run_sync(
            functools.partial(fn, *args), limiter=self._one_at_a_time
        )

    def close(self) -> None:
        """Let runs going on finish, then close the engine."""
        self.jobs.stop()
        self.engine.close()

    def render(
        self, request: Request, name: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        """A page (or, for an htmx refresh, only its live part)."""
        user = current_user(request)
        base = {
            "user": user,
            "nav": [*NAV, *OPTIONAL_NAV],
            "csrf": csrf_token(request),
            "flashes": flashed(request),
            "poll": self.config.console.poll_seconds,
            "path": request.url.path,
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            "now": dt.datetime.now(dt.UTC),
            "pairs": list(self.config.pairs),
        }
        return self.templates.TemplateResponse(
            request, name, {**base, **context}, status_code=status_code
        )


def _shown(value: Any) -> Any:
    """Every value a template prints passes here: a secret is masked wherever it appears."""
    return redact(value) if isinstance(value, str) else value


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


def _value(value: Any) -> str:
    """A field's value for people: contact methods by their address or number, none as -."""
    if value is None or value in ("", [], {}):
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict):
        main = value.get("address") or value.get("number") or value.get("line1")
        rest = [f"{k}: {_value(v)}" for k, v in value.items() if v not in (None, "", [], {})]
        return (
            f"{main} ({value.get('label')})"
            if main and value.get("label")
            else (str(main) if main else "; ".join(rest))
        )
    return str(value).lower() if isinstance(value, bool) else str(value)


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> str:
    if start is None or end is None:
        return "-"
    return f"{(end - start).total_seconds():.1f} s"


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        finalize=_shown,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = _when
    env.filters["took"] = _seconds
    env.filters["value"] = _value
    return Jinja2Templates(env=env)


async def _error(request: Request, exc: Exception) -> Response:
    """One clear message on the page for refused or bad requests; never a traceback."""
    console: Console = request.app.state.console
    if isinstance(exc, HTTPException):
        status, message = exc.status_code, str(exc.detail)
        if status == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    elif isinstance(exc, LeaseHeld):
        status, message = 409, str(exc).replace(" (use --wait to wait for it)", "")
    elif isinstance(exc, SyncwrightError):
        status, message = 400, str(exc)
    else:
        status, message = 500, f"unexpected error: {type(exc).__name__} (see the console's log)"
    return console.render(request, "error.html", {"message": message}, status_code=status)


def create_app(
    config: Config,
    hooks: Hooks,
    *,
    auth: Auth,
    engines: Callable[[], Engine] | None = None,
    session_secret: str | None = None,
) -> Starlette:
    """The console for ``config``.

    ``engines`` makes an engine (tests pass one whose systems talk to in-process fakes);
    each run started here gets one of its own.
    """
    console = Console(config, engines or (lambda: Engine(config, hooks)), auth)
    secret = session_secret or (
        config.console.session_secret.get_secret_value()
        if config.console.session_secret is not None
        else secrets.token_urlsafe(32)
    )
    register_secret(secret)
    routes = [
        *pages.ROUTES,
        *OPTIONAL_ROUTES,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=secret,
                session_cookie="syncwright_console",
                max_age=int(config.console.session_hours * 3600),
                same_site="strict",
            ),
        ],
        exception_handlers={HTTPException: _error, SyncwrightError: _error, Exception: _error},
    )
    app.state.console = console
    app.state.auth = auth
    return app
