"""Podium's write queue and its OAuth tokens, both on the fake's clock.

A write answers 202 and takes effect ``delay`` seconds later, in the order writes were
accepted (``docs/podium-api.md``, "Writes answer 202"). Access tokens expire ``ttl``
seconds after they were issued.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from fakes.podium.errors import PodiumError
from fakes.toolkit import Clock


@dataclass
class WriteQueue:
    """Writes accepted and not yet in effect."""

    clock: Clock
    delay: float = 2.0
    jobs: list[tuple[dt.datetime, int, Callable[[], None]]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    def add(self, job: Callable[[], None]) -> None:
        """Queue a write; it takes effect once ``delay`` has passed."""
        due = self.clock.now() + dt.timedelta(seconds=self.delay)
        self.jobs.append((due, next(self._seq), job))

    def settle(self, everything: bool = False) -> int:
        """Apply the writes that are due (``everything``: all of them); returns how many."""
        now = self.clock.now()
        done = 0
        while self.jobs and (everything or self.jobs[0][0] <= now):
            _, _, job = self.jobs.pop(0)
            job()
            done += 1
        return done


@dataclass
class OAuth:
    """One app's credentials, one store's refresh token, and the access tokens issued."""

    clock: Clock
    client_id: str = "test-podium-client"
    client_secret: str = "test-podium-secret"
    refresh_token: str = "test-podium-refresh"
    ttl: float = 36000.0
    tokens: dict[str, dt.datetime] = field(default_factory=dict)
    issued: int = 0

    def grant(self, body: dict[str, object]) -> tuple[int, dict[str, object]]:
        """Answer ``POST /oauth/token``: a new access token, or an OAuth error."""
        if body.get("grant_type") != "refresh_token":
            return 400, _oauth_error("unsupported_grant_type", "only refresh_token is accepted")
        if (
            body.get("client_id") != self.client_id
            or body.get("client_secret") != self.client_secret
        ):
            return 400, _oauth_error("invalid_client", "unknown client or wrong secret")
        if body.get("refresh_token") != self.refresh_token:
            return 400, _oauth_error("invalid_grant", "the refresh token is not valid")
        token = f"pat_{secrets.token_urlsafe(24)}"
        self.tokens[token] = self.clock.now() + dt.timedelta(seconds=self.ttl)
        self.issued += 1
        return 200, {
            "access_token": token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": int(self.ttl),
        }

    def check(self, header: str | None) -> None:
        """Accept a live bearer token.

        Raises:
            PodiumError: 401, no token, an unknown one or an expired one.
        """
        token = (header or "").removeprefix("Bearer ").strip()
        expires = self.tokens.get(token)
        if not token or expires is None:
            raise PodiumError(401, "Missing or invalid access token")
        if expires <= self.clock.now():
            raise PodiumError(401, "The access token has expired")

    def expire_all(self) -> None:
        """Make every token issued so far expire now (as if hours had passed)."""
        now = self.clock.now()
        self.tokens = {token: now for token in self.tokens}


def _oauth_error(error: str, description: str) -> dict[str, object]:
    return {"error": error, "error_description": description}
