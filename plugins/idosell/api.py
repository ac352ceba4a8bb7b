"""Talking to one IdoSell shop: the settings, the ``X-API-KEY`` header, lists and lookups.

Written from ``fakes/specs/idosell.json`` and
``docs/idosell-api.md``.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import Field, SecretStr, field_validator

from framework import FatalError, HttpSettings, RecordRejected, SystemContext
from framework.http import json_body, request_checked
from framework.secrets import from_environment
from plugins.idosell.login import PLACEHOLDERS

MAX_ITEMS = 100  # clients per request (docs/idosell-api.md)
EMPTY_RESULT = 2  # the faultCode of a read that found nothing
GROUPS_TTL = 3600.0


class IdoSellSettings(HttpSettings):
    """``[systems.NAME]`` keys of an IdoSell shop (``base_url`` ends in ``/api/admin/v6``)."""

    connector: str = "idosell"
    page_size: int = Field(100, gt=0, le=MAX_ITEMS, description="Clients per GET (1-100)")
    login_pattern: str | None = Field(
        None,
        description="IS-7: e.g. '{first_name}.{last_name}' or '{code}'; none: automatic "
        "(from the F/K code)",
    )
    send_mail: bool = Field(False, description="Tell customers about their new account")
    timezone: str = Field("Europe/Warsaw", description="The shop's clock (modification dates)")
    feed_overlap_seconds: float = Field(
        5.0, ge=0, description="Each read starts this much before the last read began"
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="The secret set with the account webhook in the shop's panel "
        "(`env:NAME` works); `syncwright serve` refuses notifications it does not sign",
    )

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _secret_from_environment(cls, value: Any) -> Any:
        return from_environment(value)

    @field_validator("login_pattern")
    @classmethod
    def _known_placeholders(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                value.format(**dict.fromkeys(PLACEHOLDERS, "x"))
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(
                    f"bad placeholder {exc}; known: {', '.join(PLACEHOLDERS)}"
                ) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Warsaw)") from None
        return value


def _error_text(response: httpx.Response) -> str:
    try:
        err = response.json()["errors"]
        return f"faultCode {err['faultCode']}: {err['faultString']}"
    except Exception:
        return str(response.text[:200])


class Shop:
    """One configured IdoSell shop, reached through the framework's HTTP client."""

    def __init__(self, system: SystemContext):
        assert system.http is not None, "the framework builds the HTTP client"
        assert isinstance(system.settings, IdoSellSettings)
        self.system = system
        self.http = system.http
        self.settings = system.settings
        self.name = system.name

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request with the API key; failures classified by the framework."""
        headers = {"accept": "application/json"}
        if self.settings.api_key is not None:
            headers["x-api-key"] = self.settings.api_key.get_secret_value()
        return request_checked(
            self.http,
            method,
            path,
            system=self.name,
            error_text=_error_text,
            headers=headers,
            **kwargs,
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; its JSON body."""
        return json_body(self.send(method, path, **kwargs), self.name)

    def get_list(self, path: str, params: dict[str, Any]) -> tuple[Any, str | None]:
        """A GET whose 207 "empty result" means nothing found; other faults are fatal.

        Returns the body and the response's ``Date`` header (the shop's clock).
        """
        response = self.send("GET", path, params=params)
        body = json_body(response, self.name) or {}
        errors = body.get("errors")
        if errors and errors.get("faultCode") not in (0, EMPTY_RESULT):
            raise FatalError(
                f"{self.name}: GET {path}: faultCode {errors.get('faultCode')}: "
                f"{errors.get('faultString')}",
                system=self.name,
            )
        return body, response.headers.get("date")

    def deliveries(self, ids: list[int]) -> dict[int, list[Any]]:
        """The delivery addresses of these clients (one call; none for no clients)."""
        if not ids:
            return {}
        body, _ = self.get_list("/clients/deliveryAddress", {"clientIds": ",".join(map(str, ids))})
        return {
            int(r["clientId"]): list(r.get("clientDeliveryAddresses") or [])
            for r in body.get("results") or []
        }

    def by_codes(self, codes: list[str]) -> list[dict[str, Any]]:
        """The clients whose external code is one of ``codes`` (IS-3)."""
        if not codes:
            return []
        body, _ = self.get_list(
            "/clients/clients",
            {"clientCodesExternal": ",".join(codes), "resultsLimit": MAX_ITEMS},
        )
        return list(body.get("results") or [])

    def group(self, name: str | None) -> int | None:
        """IS-10: the shop's number of a discount group, by name.

        Raises:
            RecordRejected: the shop has no group of that name.
        """
        if name is None:
            return None
        groups = self._groups()
        if name not in groups:
            groups = self._groups(refresh=True)
        if name not in groups:
            raise RecordRejected(
                f"{self.name}: the shop has no discount group named {name!r} "
                f"(it has: {', '.join(sorted(groups)) or 'none'})",
                system=self.name,
                rule="IS-10",
            )
        return groups[name]

    def _groups(self, refresh: bool = False) -> dict[str, int]:
        # Writes in flight ask at once: one asks the shop, the others wait for its answer
        # (IS-6: the list is read once, not once per lane).
        def read() -> dict[str, int]:
            body, _ = self.get_list("/discounts/groups", {"resultsLimit": MAX_ITEMS})
            return {str(g["groupName"]): int(g["groupNumber"]) for g in body.get("groups") or []}

        return self.system.cached("groups", read, GROUPS_TTL, refresh)
