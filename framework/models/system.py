"""How a connector describes itself and how the framework hands it one configured system."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, field_validator

from framework.secrets import from_environment

T = TypeVar("T")


class SystemSettings(BaseModel):
    """Base of a connector's settings model: the keys of one ``[systems.NAME]`` table."""

    model_config = ConfigDict(extra="forbid")

    connector: str


class HttpSettings(SystemSettings):
    """Settings every HTTP connector shares; the framework builds the client from them."""

    base_url: HttpUrl
    api_key: SecretStr | None = Field(None, description="Never logged, printed or stored")
    timeout: float = Field(10.0, gt=0, description="Seconds per request")
    verify_tls: bool = Field(True, description="Turning it off is logged as a warning")
    rate_limit_per_minute: int | None = Field(None, gt=0, description="Client-side cap (IS-6)")
    in_flight: int = Field(
        8,
        ge=1,
        le=64,
        description="Writes sent at once (1: one at a time); each record's writes stay in order",
    )

    @field_validator("api_key", mode="before")
    @classmethod
    def _from_environment(cls, value: Any) -> Any:
        """``api_key = "env:NAME"`` reads the key from the environment variable ``NAME``."""
        return from_environment(value)

    @field_validator("api_key")
    @classmethod
    def _one_header_word(cls, value: SecretStr | None) -> SecretStr | None:
        """The key goes in an HTTP header: printable ASCII, no space (never shown if not)."""
        text = "" if value is None else value.get_secret_value()
        if value is not None and not (text.isascii() and text.isprintable() and " " not in text):
            raise ValueError(
                "an API key is sent in an HTTP header: printable ASCII without spaces or line "
                "breaks, and this one is not (the value is not shown)"
            )
        return value


class EntitySupport(BaseModel):
    """What a connector can do with one entity."""

    model_config = ConfigDict(extra="forbid")

    fields: list[str] = Field(default_factory=list, description="Canonical fields it maps")
    read: bool = True
    create: bool = True
    update: bool = True
    delete: bool = False
    match_keys: list[str] = Field(default_factory=list)
    single_valued: list[str] = Field(
        default_factory=list,
        description="List fields the system keeps one element of (the preferred one)",
    )
    unique_keys: list[str] = Field(
        default_factory=list,
        description="Match keys the system holds one record per (Podium: one contact per "
        "e-mail, per phone): a create would merge into the record holding the key",
    )
    joint_fields: list[list[str]] = Field(
        default_factory=list,
        description="Groups of fields the system keeps as one value (Podium's one name): a "
        "write of one carries the others, from the side whose change is written",
    )
    field_keys: dict[str, list[str]] = Field(
        default_factory=dict,
        description="The keys a dict field can hold on this system (Edge's custom: "
        "CustomerKey1…8); a field map naming another fails when the configuration loads",
    )
    batch_size: int = Field(1, ge=1, description="Writes per apply_batch call")
    remote_match: bool = Field(False, description="match_record can search the live system")
    creates_later: bool = Field(
        False,
        description="Creates are queued and the id comes later (Edge imports, Podium's 202): "
        "a plan (syncwright plan) shows what waits for those ids, as a run would",
    )


class ConnectorInfo(BaseModel):
    """A connector's self-description, answered by ``describe_connector``."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    name: str
    side: Literal["pos", "platform", "any"]
    entities: dict[str, EntitySupport]
    settings_model: type[SystemSettings] = SystemSettings
    rules: list[str] = Field(default_factory=list, description="Rule IDs it claims to honour")
    summary: str = ""
    reads_elsewhere: bool = Field(
        False,
        description="Its reads keep nothing between pages in the engine's process and need "
        "no HTTP client: a long read may go on in a process of its own (read_ahead.py)",
    )


class SystemCheck(BaseModel):
    """What ``syncwright check`` found when it reached one configured system."""

    model_config = ConfigDict(extra="forbid")

    ok: bool
    detail: str = Field(description="One line: what was reached, or what is wrong")


class SystemContext(BaseModel):
    """One configured system, as the framework hands it to a connector in every hook call.

    ``http`` is built by the framework from the settings (base URL, timeout, TLS, the
    fake's transport in tests, client-side rate limit and call counting), so a connector
    has no network code path of its own. ``cache`` is the connector's scratch space for
    this system for the life of the engine (an associate list, an SDK client); what holds
    connections is handed to ``on_close`` so the engine releases it when it closes. Writes in
    flight call a connector from several threads at once: ``cached`` fills an entry once
    while the others wait, ``cache_lock`` guards a fill that is more than one read.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    connector: str
    settings: SystemSettings
    http: httpx.Client | None = None
    cache: dict[str, Any] = Field(default_factory=dict)
    closers: list[Callable[[], object]] = Field(default_factory=list, repr=False)

    def on_close(self, release: Callable[[], object]) -> None:
        """Have ``release`` called when the engine closes (a database pool's dispose)."""
        self.closers.append(release)

    def cache_lock(self, key: str) -> threading.Lock:
        """The lock of ``cache[key]``: one thread fills or changes it while the others wait."""
        lock: threading.Lock = self.cache.setdefault(f"{key}.lock", threading.Lock())  # atomic
        return lock

    def cached(
        self, key: str, fill: Callable[[], T], ttl: float | None = None, refresh: bool = False
    ) -> T:
        """``cache[key]``, filled by ``fill()`` when missing, older than ``ttl`` or refreshed.

        When several threads (writes in flight) ask at once, one calls ``fill`` and the
        others wait for its answer instead of asking the platform again.
        """
        with self.cache_lock(key):
            held: tuple[float, T] | None = self.cache.get(key)
            if refresh or held is None or (ttl is not None and time.monotonic() - held[0] > ttl):
                held = (time.monotonic(), fill())
                self.cache[key] = held
        return held[1]

    def close(self) -> None:
        """Release what the connector handed to ``on_close``, then the HTTP client."""
        while self.closers:
            self.closers.pop()()
        if self.http is not None:
            self.http.close()

    def __repr__(self) -> str:
        return f"SystemContext(name={self.name!r}, connector={self.connector!r})"
