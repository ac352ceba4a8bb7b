"""The settings of one Edge store (``[systems.NAME]`` with ``connector = "edge"``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator

from framework import SystemSettings


class EdgeSettings(SystemSettings):
    """``[systems.NAME]`` keys of an Edge store."""

    connector: str = "edge"
    folder: Path = Field(description="Local folder (or mounted FTP root) of the EDT exchange")
    store_license_id: str = Field(description="The store's StoreLicenseID (a sub-folder)")
    region: str = Field("US", min_length=2, max_length=2, description="For phone numbers")
    timezone: str = Field("UTC", description="The store's time zone (IANA), for EDT date-times")
    settle_seconds: float = Field(10.0, ge=0, description="Age at which a bad file is broken")

    @field_validator("folder")
    @classmethod
    def _relative_to_config(cls, value: Path, info: ValidationInfo) -> Path:
        base = (info.context or {}).get("base_dir")
        folder = value if value.is_absolute() or base is None else Path(base) / value
        if not folder.is_dir():  # never made here: a typo would sync with nobody
            raise ValueError(
                f"no folder {str(folder)!r} (the EDT exchange folder Edge reads and writes; "
                "it is not created)"
            )
        return folder

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value == "UTC":
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name: America/Chicago)"
            ) from None
        return value

    @property
    def exchange(self) -> Path:
        """``<folder>/<StoreLicenseID>``."""
        return self.folder / self.store_license_id

    @property
    def zone(self) -> dt.tzinfo:
        """The store's time zone (UTC needs no time-zone database)."""
        return dt.UTC if self.timezone == "UTC" else ZoneInfo(self.timezone)
