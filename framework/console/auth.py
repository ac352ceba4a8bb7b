"""Who may use the console: log in, sessions in signed cookies, CSRF, two roles.

- People log in with a name and password checked against the argon2 hashes of the
  configuration's ``[console] users`` (argon2-cffi), or with the token in the environment
  variable ``SYNCWRIGHT_CONSOLE_TOKEN`` (an operator). ``--no-auth`` (127.0.0.1 only)
  lets everyone in as a local operator.
- The session is a cookie signed by Starlette's ``SessionMiddleware`` (itsdangerous):
  who, which role, and the CSRF token of the session.
- Every state-changing request (every POST) carries the session's CSRF token (a hidden
  form field, or the ``X-CSRF-Token`` header) and is refused without it.
- ``viewer`` reads; ``operator`` also retries, resolves, merges, links and runs.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from framework.config import ConsoleConfig
from framework.secrets import register_secret

TOKEN_ENV = "SYNCWRIGHT_CONSOLE_TOKEN"
ROLES = ("viewer", "operator")
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` for ``[console] users`` (never the password)."""
    return _HASHER.hash(password)


@dataclass
class User:
    """Who is logged in, and what they may do."""

    name: str
    role: str

    @property
    def operator(self) -> bool:
        """Whether this user may change anything."""
        return self.role == "operator"


@dataclass
class Auth:
    """How people log in: users by name (argon2 hashes), a token, or nobody (``--no-auth``)."""

    users: dict[str, tuple[str, str]] = field(default_factory=dict)
    """name -> (argon2 hash, role)"""
    token: str | None = None
    open: bool = False
    """``--no-auth``: everyone is a local operator."""

    @classmethod
    def from_config(cls, console: ConsoleConfig, *, no_auth: bool = False) -> Auth:
        """The configuration's users and the environment's token; their secrets registered."""
        token = os.environ.get(TOKEN_ENV, "").strip() or None
        users: dict[str, tuple[str, str]] = {}
        for user in console.users:
            hashed = user.password_hash.get_secret_value()
            register_secret(hashed)
            users[user.name] = (hashed, user.role)
        if token is not None:
            register_secret(token)
        return cls(users, token, no_auth)

    @property
    def anyone_can_log_in(self) -> bool:
        """Whether there is any way in (a user, a token, or ``--no-auth``)."""
        return self.open or bool(self.users) or self.token is not None

    def check(self, name: str, password: str) -> User | None:
        """The user these credentials name (``None``: wrong name, password or token)."""
        if not name and self.token is not None:
            if hmac.compare_digest(password.encode(), self.token.encode()):
                return User("token", "operator")
            return None
        hashed, role = self.users.get(name, (None, "viewer"))
        if hashed is None:
            _HASHER.hash(password)  # the same time for a name that does not exist
            return None
        try:
            _HASHER.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return None
        return User(name, role)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def current_user(request: Request) -> User | None:
    """Who the session belongs to (a local operator with ``--no-auth``)."""
    auth: Auth = request.app.state.auth
    if auth.open:
        return User("local", "operator")
    who = request.session.get("user")
    if isinstance(who, dict) and who.get("role") in ROLES:
        name, role = str(who.get("name")), str(who["role"])
        if name == "token" and auth.token is not None:
            return User(name, role)
        if auth.users.get(name, (None, None))[1] == role:  # a user removed or changed: out
            return User(name, role)
    return None


def log_in(request: Request, user: User) -> None:
    """Start a new session for ``user`` (a new CSRF token too: no session fixation)."""
    request.session.clear()
    request.session["user"] = {"name": user.name, "role": user.role}
    csrf_token(request)


async def checked_form(request: Request, *, role: str | None = "operator") -> FormData:
    """The form of a state-changing request, once its CSRF token and role are checked.

    Raises:
        HTTPException: 403 without the session's CSRF token, or for a role that may not.
    """
    form = await request.form()
    sent = form.get("csrf") or request.headers.get("x-csrf-token") or ""
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str) or not sent:
        raise HTTPException(403, "refused: the form carries no valid CSRF token (reload the page)")
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "refused: the form carries no valid CSRF token (reload the page)")
    if role is not None:
        user = current_user(request)
        if user is None:
            raise HTTPException(401, "log in first")
        if role == "operator" and not user.operator:
            raise HTTPException(403, f"refused: {user.name} is a viewer; operators do this")
    return form


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once, on the next page."""
    shown: list[Any] = list(request.session.get("flash") or [])
    shown.append([kind, message])
    request.session["flash"] = shown[-5:]


def flashed(request: Request) -> list[tuple[str, str]]:
    """The messages to show now (then forgotten)."""
    shown = request.session.pop("flash", None) or []
    return [(str(k), str(m)) for k, m in shown]
