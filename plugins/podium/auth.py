"""OAuth 2 access tokens for one Podium system, obtained with the store's refresh token.

The connector asks for an access token when it has none, refreshes it shortly before it
expires and once more when Podium answers 401. Tokens live in ``system.cache`` (memory) and
are registered as secrets, so no log line or error can show one (``docs/podium-api.md``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from time import monotonic

import httpx

from framework import FatalError, RecordRejected, RetryableError, SystemContext
from framework.http import json_body, request_checked
from framework.secrets import register_secret
from plugins.podium.settings import PodiumSettings

log = logging.getLogger(__name__)
EARLY = 60.0  # refresh this many seconds (at most a tenth of its life) before a token expires


@dataclass
class AccessToken:
    """An access token and when (monotonic seconds) to stop using it."""

    value: str
    expires: float
    refresh_token: str

    def fresh(self) -> bool:
        """Whether it is good for a while yet."""
        return monotonic() < self.expires


def settings_of(system: SystemContext) -> PodiumSettings:
    """The system's Podium settings."""
    assert isinstance(system.settings, PodiumSettings)
    return system.settings


def access_token(system: SystemContext, *, refused: str | None = None) -> str:
    """A live access token; a new one when Podium ``refused`` the one held.

    Writes in flight ask at once: one thread obtains a token while the others wait and use
    it; a thread whose token was refused after another replaced it takes the new one.

    Raises:
        FatalError: Podium refused the app's credentials or the store's refresh token.
        RetryableError: the token endpoint could not be reached or was busy.
    """
    with system.cache_lock("podium.token"):
        held: AccessToken | None = system.cache.get("podium.token")
        if held is not None and held.fresh() and held.value != refused:
            return held.value
        held = _refresh(system, held)
        system.cache["podium.token"] = held
        return held.value


def _refresh(system: SystemContext, held: AccessToken | None) -> AccessToken:
    settings = settings_of(system)
    for secret in (settings.client_secret, settings.refresh_token):
        register_secret(secret.get_secret_value())
    refresh = held.refresh_token if held else settings.refresh_token.get_secret_value()
    assert system.http is not None, "the framework builds the HTTP client"
    try:
        response = request_checked(
            system.http,
            "POST",
            str(settings.token_url),
            system=system.name,
            error_text=_oauth_error,
            ok=(200,),
            json={
                "grant_type": "refresh_token",
                "client_id": settings.client_id.get_secret_value(),
                "client_secret": settings.client_secret.get_secret_value(),
                "refresh_token": refresh,
            },
        )
    except (RecordRejected, FatalError) as exc:  # 400/401: the grant itself is refused
        raise FatalError(
            f"{system.name}: Podium refused the app's credentials or the store's refresh "
            f"token ({exc}); authorise syncwright in Podium again and set client_id, "
            "client_secret and refresh_token",
            system=system.name,
            status=exc.status,
        ) from None
    body = json_body(response, system.name) or {}
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise RetryableError(f"{system.name}: the token endpoint answered without a token")
    register_secret(token)
    new_refresh = str(body.get("refresh_token") or refresh)
    register_secret(new_refresh)
    if new_refresh != refresh:
        log.warning(
            "%s: Podium issued a new refresh token; it is used until this process ends, "
            "then the configured one is used again",
            system.name,
        )
    lifetime = float(body.get("expires_in") or 3600)
    log.info("%s: obtained a Podium access token (good for %.0f s)", system.name, lifetime)
    early = min(EARLY, lifetime / 10)
    return AccessToken(token, monotonic() + lifetime - early, new_refresh)


def _oauth_error(response: httpx.Response) -> str:
    """The OAuth error as one line (never the request, which carries the secrets)."""
    try:
        body = response.json()
        return f"{body.get('error')}: {body.get('error_description')}"
    except Exception:
        return "an answer that is not an OAuth error"
