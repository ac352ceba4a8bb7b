"""A base class that turns a connector into a plugin answering only for its own systems.

A connector author subclasses :class:`Connector`, sets ``name``, returns a
:class:`ConnectorInfo` from ``info()`` and writes ``fetch_<entity>`` / ``apply_<entity>``
methods; the hook implementations here dispatch to them for systems whose ``connector`` is
``name`` and return ``None`` for every other system. Writing plain ``@hookimpl`` functions
instead works just as well.
"""

from __future__ import annotations

from typing import Any, ClassVar

from framework.errors import ConnectorError, FatalError
from framework.markers import hookimpl
from framework.models import (
    ApplyResult,
    AssociateMapping,
    Change,
    ChangePage,
    ConnectorInfo,
    MatchQuery,
    MatchResult,
    MergeOutcome,
    MergeRequest,
    Notification,
    Subscription,
    SystemCheck,
    SystemContext,
    WebhookEvent,
    WriteRequest,
)


class Connector:
    """Base class of connectors; see the module docstring."""

    name: ClassVar[str] = ""

    # -- what subclasses write ------------------------------------------------------------

    def info(self) -> ConnectorInfo:
        """Describe the connector."""
        raise NotImplementedError

    def presets(self) -> list[dict[str, Any]]:
        """Pair presets this connector ships (parsed TOML tables)."""
        return []

    def match(self, system: SystemContext, query: MatchQuery) -> MatchResult | None:
        """Search the live system for a match; ``None`` leaves it to the engine's index."""
        return None

    def associate(
        self, system: SystemContext, user_id: str | None, default_associate: str | None
    ) -> AssociateMapping | None:
        """Map a platform user to a POS associate; ``None`` when this system cannot."""
        return None

    def apply_many(
        self, system: SystemContext, requests: list[WriteRequest]
    ) -> list[ApplyResult | ConnectorError] | None:
        """Write a batch; ``None`` lets the framework call ``apply_<entity>`` one by one."""
        return None

    def merge(self, system: SystemContext, request: MergeRequest) -> MergeOutcome | None:
        """Merge duplicates a user chose (SQ-2); ``None`` when this system cannot."""
        return None

    def refuse(self, system: SystemContext, entity: str, direction: str, side: str) -> str | None:
        """Why this configured system cannot take part in a flow (PD-1); ``None``: it can."""
        return None

    def check(self, system: SystemContext) -> SystemCheck | None:
        """Check this system can be reached (``syncwright check``); ``None``: the default.

        The default reads one record of the first entity the connector reads.
        """
        return None

    # webhooks (docs/webhooks.md): a connector of a platform that pushes changes writes these

    def verify(self, system: SystemContext, notification: Notification) -> bool | None:
        """Whether a notification is authentic; ``None``: this connector has no webhooks."""
        return None

    def events(self, system: SystemContext, notification: Notification) -> list[WebhookEvent]:
        """The events of a verified notification."""
        return []

    def subscription(self, system: SystemContext, url: str, create: bool) -> Subscription | None:
        """Check or make the webhook subscription; ``None``: none to check."""
        return None

    # -- dispatch -------------------------------------------------------------------------

    def _mine(self, system: SystemContext) -> bool:
        return system.connector == self.name

    def _method(self, verb: str, entity: str) -> Any:
        method = getattr(self, f"{verb}_{entity}", None)
        if method is None:
            raise FatalError(f"connector {self.name!r} cannot {verb} entity {entity!r}")
        return method

    @hookimpl
    def describe_connector(self, connector: str) -> ConnectorInfo | None:
        """Answer for this connector's name only."""
        return self.info() if connector == self.name else None

    @hookimpl
    def fetch_changes(
        self, system: SystemContext, entity: str, cursor: str | None, limit: int
    ) -> ChangePage | None:
        """Dispatch to ``fetch_<entity>``."""
        if not self._mine(system):
            return None
        page: ChangePage = self._method("fetch", entity)(system, cursor, limit)
        return page

    @hookimpl
    def apply_change(self, system: SystemContext, request: WriteRequest) -> ApplyResult | None:
        """Dispatch to ``apply_<entity>``."""
        if not self._mine(system):
            return None
        result: ApplyResult = self._method("apply", request.entity)(system, request)
        return result

    @hookimpl
    def apply_batch(
        self, system: SystemContext, requests: list[WriteRequest]
    ) -> list[ApplyResult | ConnectorError] | None:
        """Dispatch to ``apply_many``."""
        if not self._mine(system):
            return None
        return self.apply_many(system, requests)

    @hookimpl
    def match_record(self, system: SystemContext, query: MatchQuery) -> MatchResult | None:
        """Dispatch to ``match``."""
        return self.match(system, query) if self._mine(system) else None

    @hookimpl
    def merge_records(self, system: SystemContext, request: MergeRequest) -> MergeOutcome | None:
        """Dispatch to ``merge``."""
        return self.merge(system, request) if self._mine(system) else None

    @hookimpl
    def map_associate(
        self, system: SystemContext, user_id: str | None, default_associate: str | None
    ) -> AssociateMapping | None:
        """Dispatch to ``associate``."""
        return self.associate(system, user_id, default_associate) if self._mine(system) else None

    @hookimpl
    def check_flow(
        self, system: SystemContext, entity: str, direction: str, side: str
    ) -> str | None:
        """Dispatch to ``refuse``."""
        return self.refuse(system, entity, direction, side) if self._mine(system) else None

    @hookimpl
    def check_system(self, system: SystemContext) -> SystemCheck | None:
        """Dispatch to ``check``."""
        return self.check(system) if self._mine(system) else None

    @hookimpl
    def verify_notification(self, system: SystemContext, notification: Notification) -> bool | None:
        """Dispatch to ``verify``."""
        return self.verify(system, notification) if self._mine(system) else None

    @hookimpl
    def parse_notification(
        self, system: SystemContext, notification: Notification
    ) -> list[WebhookEvent] | None:
        """Dispatch to ``events`` (for a connector that verifies notifications)."""
        if not self._mine(system) or type(self).verify is Connector.verify:
            return None
        return self.events(system, notification)

    @hookimpl
    def fetch_records(
        self, system: SystemContext, entity: str, ids: list[str]
    ) -> list[Change] | None:
        """Dispatch to ``read_<entity>`` when the connector has one."""
        method = getattr(self, f"read_{entity}", None)
        if not self._mine(system) or method is None:
            return None
        changes: list[Change] = method(system, ids)
        return changes

    @hookimpl
    def ensure_subscription(
        self, system: SystemContext, url: str, create: bool
    ) -> Subscription | None:
        """Dispatch to ``subscription``."""
        return self.subscription(system, url, create) if self._mine(system) else None

    @hookimpl
    def provide_presets(self) -> list[dict[str, Any]]:
        """Contribute this connector's presets."""
        return self.presets()
