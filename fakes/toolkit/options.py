"""The options a fake takes from ``syncwright fake serve NAME``, declared by each fake.

Each fake registers a :class:`Fake` under the ``syncwright.fakes`` entry-point group: a
summary, the pydantic model of its options and the function that runs it. The command
line hands over only the options a user gave (``--port``, ``--seed``, ``--fault``…, and
``--option KEY=VALUE``); the model fills in the fake's own defaults and refuses any
option the fake does not take, naming it and listing the ones it does
(``syncwright fake list`` prints them, with what each does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fakes.toolkit.faults import FaultPlan, FaultRule, RateLimit
from fakes.toolkit.webhooks import Notifier, WebhookFaults
from framework.errors import ConfigError

# The command-line flag of each common option, for messages (others are --option KEY=VALUE).
FLAGS = {
    "seed": "--seed",
    "port": "--port",
    "api_key": "--api-key",
    "faults": "--fault",
    "rate_limit": "--rate-limit",
    "folder": "--folder",
}


class FakeOptions(BaseModel):
    """Options every fake takes."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(0, ge=0, description="Customers to seed the fake with")


class HttpFakeOptions(FakeOptions):
    """Options of a fake served over HTTP on 127.0.0.1."""

    port: int = Field(8800, gt=0, lt=65536, description="Port on 127.0.0.1")
    api_key: str | None = Field(None, description="The API key or token the fake accepts")
    faults: list[FaultRule] = Field(default_factory=list, description="--fault rules")
    rate_limit: RateLimit | None = Field(None, description="--rate-limit REQUESTS/SECONDS")
    fault_seed: int = Field(1234, description="Seed of the fault rates (repeatable runs)")

    def plan(self) -> FaultPlan:
        """The fault plan these options ask for."""
        return FaultPlan(rules=self.faults, rate_limit=self.rate_limit, seed=self.fault_seed)


class WebhookFakeOptions(HttpFakeOptions):
    """Options of a fake that sends webhooks (``fakes/toolkit/webhooks.py``)."""

    webhook_url: str | None = Field(
        None, description="Send signed notifications of every change here (as if subscribed)"
    )
    webhook_secret: str = Field("fake-webhook-secret", description="The signing secret")
    webhook_drop: float = Field(0.0, ge=0, le=1, description="Share of notifications dropped")
    webhook_duplicate: float = Field(0.0, ge=0, le=1, description="Share sent twice")
    webhook_reorder: float = Field(0.0, ge=0, le=1, description="Share held back one place")
    webhook_delay: float = Field(0.0, ge=0, description="Seconds before each delivery")
    webhook_bad_signature: float = Field(
        0.0, ge=0, le=1, description="Share sent with a wrong signature"
    )

    def webhook_faults(self) -> WebhookFaults:
        """The delivery faults these options ask for."""
        return WebhookFaults(
            drop=self.webhook_drop,
            duplicate=self.webhook_duplicate,
            reorder=self.webhook_reorder,
            delay=self.webhook_delay,
            bad_signature=self.webhook_bad_signature,
            seed=self.fault_seed,
        )

    def notify(self, notifier: Notifier) -> None:
        """Point ``notifier`` at ``webhook_url`` (when given) with these faults."""
        notifier.configure(self.webhook_faults())
        if self.webhook_url:
            notifier.subscribe(self.webhook_url, self.webhook_secret)


class FolderFakeOptions(FakeOptions):
    """Options of a fake reached through files or a database in a folder."""

    folder: Path = Field(Path("edt"), description="The folder it works in")


@dataclass(frozen=True)
class Fake:
    """A fake as ``syncwright fake serve`` finds it (entry-point group ``syncwright.fakes``)."""

    name: str
    summary: str
    options: type[FakeOptions]
    run: Callable[[Any], object]

    def parse(self, given: dict[str, Any]) -> FakeOptions:
        """Validate the options a user gave.

        Raises:
            ConfigError: one line naming the option that is unknown or wrong, with the
                options this fake takes.
        """
        try:
            return self.options.model_validate(given)
        except ValidationError as exc:
            known = ", ".join(self.options.model_fields)
            unknown = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden"]
            if unknown:
                raise ConfigError(
                    f"fake {self.name}: unknown option {', '.join(map(repr, unknown))} "
                    f"(it takes: {known}; see `syncwright fake list`)"
                ) from None
            parts = []
            for err in exc.errors():
                head, rest = str(err["loc"][0]), ".".join(str(p) for p in err["loc"][1:])
                flag = FLAGS.get(head, f"--option {head}")
                message = str(err["msg"]).removeprefix("Value error, ")
                parts.append(f"{flag}{' ' + rest if rest else ''}: {message}")
            raise ConfigError(f"fake {self.name}: {'; '.join(parts)}") from None

    def serve(self, given: dict[str, Any]) -> None:
        """Validate ``given`` (before anything starts), then run the fake until stopped."""
        self.run(self.parse(given))

    def describe(self) -> list[tuple[str, str, str]]:
        """(option, default, what it does) for each option this fake takes."""
        rows = []
        for name, field in self.options.model_fields.items():
            default = field.get_default(call_default_factory=True)
            shown = "" if default in (None, []) else str(default)
            rows.append((name, shown, field.description or ""))
        return rows
