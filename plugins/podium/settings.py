"""The ``[systems.NAME]`` keys of a Podium system (``docs/podium-api.md``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, HttpUrl, SecretStr, field_validator

from framework import HttpSettings
from framework.secrets import from_environment

Tier = Literal["clientele", "clientele_plus"]


class PodiumSettings(HttpSettings):
    """A store's Podium organization, reached as syncwright's OAuth 2 app.

    ``client_id``, ``client_secret`` and ``refresh_token`` are secrets (``env:NAME`` reads
    one from the environment); access tokens are obtained from them and kept in memory only.
    """

    connector: str = "podium"
    base_url: HttpUrl = HttpUrl("https://api.podium.com")
    token_url: HttpUrl = Field(
        HttpUrl("https://accounts.podium.com/oauth/token"), description="OAuth 2 token endpoint"
    )
    client_id: SecretStr
    client_secret: SecretStr
    refresh_token: SecretStr = Field(description="The store's grant; never logged or stored")
    tier: Tier = Field(
        description="PD-1: the account's tier; item sync needs clientele_plus (Clientele+)"
    )
    location_uid: str | None = Field(
        None, description="The location contacts are made in; default: the only one there is"
    )
    link_attribute: str = Field("Edge link", description="Contact attribute holding the link code")
    acquisition_attribute: str = Field("Acquisition", description="Contact attribute (PD-3)")
    new_contact_acquisition: str = Field(
        "Podium", description="PD-3: the acquisition of a contact that has none"
    )
    rate_limit_per_minute: int | None = Field(290, gt=0, description="Podium allows 300")
    feed_lag_seconds: float = Field(
        10.0,
        ge=0,
        description="How far back each read of the contacts feed looks again, for writes "
        "Podium's queue made visible late",
    )
    visibility_wait: float = Field(
        2.0, ge=0, description="Seconds to wait for a queued create before writing to it again"
    )

    webhook_secret: SecretStr | None = Field(
        None,
        description="The secret Podium signs webhook events with (`env:NAME` works); "
        "`serve --subscribe` gives it to the webhook it makes",
    )
    webhook_unsigned: bool = Field(
        False,
        description="Accept unsigned webhook events (Podium signs only with a secret): "
        "anyone who knows the URL can then trigger reads (never writes of their data)",
    )
    webhook_tolerance_seconds: float = Field(
        300.0, gt=0, description="A signed event older or newer than this is refused (replay)"
    )

    @field_validator("client_id", "client_secret", "refresh_token", "webhook_secret", mode="before")
    @classmethod
    def _from_environment(cls, value: Any) -> Any:
        """``"env:NAME"`` reads the secret from the environment variable ``NAME``."""
        return from_environment(value)
