"""The ``[systems.NAME]`` keys of a Square system."""

from __future__ import annotations

from typing import Any

from pydantic import Field, HttpUrl, SecretStr, field_validator

from framework import HttpSettings
from framework.secrets import from_environment


class SquareSettings(HttpSettings):
    """A Square seller account: the access token goes in ``api_key`` (``env:NAME`` works)."""

    connector: str = "square"
    base_url: HttpUrl = HttpUrl("https://connect.squareup.com")
    square_version: str = Field(
        "2025-08-20", pattern=r"^\d{4}-\d{2}-\d{2}$", description="The Square-Version header"
    )
    region: str = Field("US", min_length=2, max_length=2, description="For phone numbers")
    search_lag_seconds: float = Field(
        120.0,
        ge=0,
        description="How far back each incremental read looks again: Square documents that "
        "search shows a new or changed profile only after a delay",
    )
    read_events: bool = Field(
        True, description="Read deletions and merges from the Events API (POST /v2/events)"
    )
    webhook_signature_key: SecretStr | None = Field(
        None,
        description="The signature key of the webhook subscription (`env:NAME` works): "
        "`syncwright serve` refuses notifications it does not sign",
    )

    @field_validator("webhook_signature_key", mode="before")
    @classmethod
    def _key_from_environment(cls, value: Any) -> Any:
        """``webhook_signature_key = "env:NAME"`` reads it from the environment."""
        return from_environment(value)
