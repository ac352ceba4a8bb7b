"""Everything the fake Podium holds (``docs/podium-api.md``).

Contacts and attribute definitions live in ``contacts``, what Podium keeps for partners in
``partner``, the write queue and OAuth tokens in ``queue``. The clock drives all of them:
move it on (``clock.offset``) to let queued writes take effect or tokens expire.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from fakes.podium.contact_index import ContactStore
from fakes.podium.contacts import Contacts, podium_uid
from fakes.podium.partner import Partner
from fakes.podium.queue import OAuth, WriteQueue
from fakes.toolkit import Clock, FeedStore

Tier = Literal["clientele", "clientele_plus"]


@dataclass
class PodiumState(Contacts, Partner):
    """One Podium organization with one location, and the app syncwright is."""

    tier: Tier = "clientele_plus"
    generate_titles: bool = True
    visibility_delay: float = 2.0
    token_ttl: float = 36000.0
    client_id: str = "test-podium-client"
    client_secret: str = "test-podium-secret"
    refresh_token: str = "test-podium-refresh"
    clock: Clock = field(default_factory=Clock)
    organization: str = field(default_factory=lambda: podium_uid("organization", 1))
    application: str = field(default_factory=lambda: podium_uid("application", 1))
    location_names: tuple[str, ...] = ("Main Street Jewelers",)
    contacts: ContactStore = field(init=False)
    attributes: dict[str, dict[str, Any]] = field(init=False)
    locations: dict[str, dict[str, Any]] = field(init=False)
    products: FeedStore = field(init=False)
    xids: dict[str, str] = field(init=False)
    purchases: dict[str, dict[str, dict[str, Any]]] = field(init=False)
    timeline: dict[str, list[dict[str, Any]]] = field(init=False)
    queue: WriteQueue = field(init=False)
    oauth: OAuth = field(init=False)
    # told of every contact change (the fake's webhooks, fakes/podium/webhooks.py)
    contact_listeners: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.queue = WriteQueue(self.clock, self.visibility_delay)
        self.oauth = OAuth(
            self.clock, self.client_id, self.client_secret, self.refresh_token, self.token_ttl
        )
        self.reset()

    def reset(self) -> None:
        """Forget every record and queued write (credentials stay; tokens are dropped)."""
        self.contacts = ContactStore(self.clock, "", lambda n: podium_uid("contact", n))
        self.contacts.listeners = self.contact_listeners
        self.products = FeedStore(self.clock, "", lambda n: podium_uid("product", n))
        self.attributes = {}
        self.xids = {}
        self.purchases = {}
        self.timeline = {}
        self.queue.jobs.clear()
        self.oauth.tokens.clear()
        self.locations = {
            podium_uid("location", n): {
                "uid": podium_uid("location", n),
                "name": name,
                "organizationUid": self.organization,
            }
            for n, name in enumerate(self.location_names, start=1)
        }

    def queue_write(self, job: Callable[[], None]) -> None:
        """Queue one write (it takes effect after ``visibility_delay``)."""
        self.queue.delay = self.visibility_delay
        self.queue.add(job)

    def settle(self, everything: bool = False) -> int:
        """Apply the queued writes that are due (``everything``: all); returns how many."""
        self.queue.delay = self.visibility_delay
        return self.queue.settle(everything)

    @property
    def location(self) -> str:
        """The uid of the organization's first location."""
        return next(iter(self.locations))

    def snapshot(self) -> dict[str, Any]:
        """What the fake holds, for ``GET /_fake/state``."""
        return {
            "tier": self.tier,
            "contacts": [self.public(r) for r in self.contacts.live()],
            "attributes": list(self.attributes.values()),
            "products": [self.product_public(r) for r in self.products.live()],
            "purchases": self.purchases,
            "timeline": self.timeline,
            "queued": len(self.queue.jobs),
        }
