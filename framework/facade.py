"""The typed facade over the hooks: the engine calls these methods, never ``pm.hook`` itself.

Each method returns pydantic models and turns "no plugin answered" into a clear
:class:`PluginError` naming the system and connector.
"""

from __future__ import annotations

from typing import Any

import pluggy

from framework.errors import ConnectorError, PluginError, describe
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


class Hooks:
    """Typed access to the hooks of one plugin manager."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self._info: dict[str, ConnectorInfo] = {}

    def describe(self, connector: str) -> ConnectorInfo:
        """The description of an installed connector (cached)."""
        if connector not in self._info:
            info = self.pm.hook.describe_connector(connector=connector)
            if info is None:
                raise PluginError(
                    f"no installed connector is named {connector!r} "
                    f"(installed: {', '.join(self.connector_names()) or 'none'})"
                )
            self._info[connector] = info
        return self._info[connector]

    def connector_names(self) -> list[str]:
        """Names of the connectors registered with the plugin manager."""
        names = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None or name.startswith("syncwright."):
                continue
            names.append(name)
        return sorted(names)

    def fetch_changes(
        self, system: SystemContext, entity: str, cursor: str | None, limit: int
    ) -> ChangePage:
        """One page of changes."""
        page: ChangePage = self._required(
            self.pm.hook.fetch_changes(system=system, entity=entity, cursor=cursor, limit=limit),
            "fetch_changes",
            system,
        )
        return page

    def apply_change(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One write."""
        result: ApplyResult = self._required(
            self.pm.hook.apply_change(system=system, request=request), "apply_change", system
        )
        return result

    def apply_batch(
        self, system: SystemContext, requests: list[WriteRequest]
    ) -> list[ApplyResult | ConnectorError]:
        """Several writes; falls back to ``apply_change`` one by one."""
        results = self.pm.hook.apply_batch(system=system, requests=requests)
        if results is None:
            out: list[ApplyResult | ConnectorError] = []
            for request in requests:
                try:
                    out.append(self.apply_change(system, request))
                except ConnectorError as exc:
                    out.append(exc)
            return out
        if len(results) != len(requests):
            raise PluginError(
                f"connector {system.connector!r} returned {len(results)} results "
                f"for {len(requests)} writes"
            )
        return list(results)

    def match_record(self, system: SystemContext, query: MatchQuery) -> MatchResult:
        """Candidates for match-before-create (the index fallback always answers)."""
        result: MatchResult = self._required(
            self.pm.hook.match_record(system=system, query=query), "match_record", system
        )
        return result

    def map_associate(
        self, system: SystemContext, user_id: str | None, default_associate: str | None
    ) -> AssociateMapping | None:
        """The POS associate for a platform user, or ``None`` if neither mapped nor defaulted."""
        mapping: AssociateMapping | None = self.pm.hook.map_associate(
            system=system, user_id=user_id, default_associate=default_associate
        )
        return mapping

    def merge_records(self, system: SystemContext, request: MergeRequest) -> MergeOutcome:
        """A merge asked for by a user (SQ-2); a clear error when the connector cannot."""
        outcome: MergeOutcome | None = self.pm.hook.merge_records(system=system, request=request)
        if outcome is None:
            raise PluginError(
                f"connector {system.connector!r} of system {system.name!r} cannot merge "
                f"{request.entity} records"
            )
        return outcome

    def check_flow(
        self, system: SystemContext, entity: str, direction: str, side: str
    ) -> str | None:
        """Why ``system`` cannot take part in a flow of ``entity``; ``None`` when it can."""
        reason: str | None = self.pm.hook.check_flow(
            system=system, entity=entity, direction=direction, side=side
        )
        return reason

    def check_system(self, system: SystemContext) -> SystemCheck:
        """Whether ``system`` can be reached and used; never raises (``syncwright check``).

        A connector's ``check_system`` answers when it has one; otherwise one record of the
        first entity the connector reads is read. An error is the failed check's detail.
        """
        try:
            answer: SystemCheck | None = self.pm.hook.check_system(system=system)
            if answer is not None:
                return answer
            info = self.describe(system.connector)
            readable = [name for name, support in info.entities.items() if support.read]
            if not readable:
                return SystemCheck(ok=True, detail="nothing to read, nothing checked")
            page = self.fetch_changes(system, readable[0], None, 1)
            return SystemCheck(
                ok=True, detail=f"reached: read {len(page.changes)} {readable[0]} record(s)"
            )
        except (ConnectorError, PluginError) as exc:
            return SystemCheck(ok=False, detail=describe(exc))
        except Exception as exc:  # a connector's bug: still one line, for this system only
            return SystemCheck(ok=False, detail=f"unexpected {type(exc).__name__}: {exc}")

    # -- webhooks -----------------------------------------------------------------------

    def verify_notification(self, system: SystemContext, notification: Notification) -> bool:
        """Whether a notification is authentic; ``False`` when no connector can tell."""
        answer: bool | None = self.pm.hook.verify_notification(
            system=system, notification=notification
        )
        return bool(answer)

    def parse_notification(
        self, system: SystemContext, notification: Notification
    ) -> list[WebhookEvent]:
        """The events of a verified notification.

        Raises:
            PluginError: the connector has no webhooks.
            ValueError: the body is not what the platform sends.
        """
        events: list[WebhookEvent] = self._required(
            self.pm.hook.parse_notification(system=system, notification=notification),
            "parse_notification",
            system,
        )
        return events

    def has_webhooks(self, system: SystemContext) -> bool:
        """Whether some plugin implements webhooks for ``system``'s connector."""
        probe = Notification(url="", headers={}, body=b"", received_at=0.0)
        try:
            return self.pm.hook.verify_notification(system=system, notification=probe) is not None
        except Exception:  # a connector that cannot even refuse an empty request: none
            return False

    def fetch_records(
        self, system: SystemContext, entity: str, ids: list[str]
    ) -> list[Change] | None:
        """The named records read fresh; ``None`` when the connector cannot read by id."""
        changes: list[Change] | None = self.pm.hook.fetch_records(
            system=system, entity=entity, ids=ids
        )
        return changes

    def ensure_subscription(
        self, system: SystemContext, url: str, *, create: bool = False
    ) -> Subscription | None:
        """The system's webhook subscription, checked or made; ``None``: no webhooks."""
        found: Subscription | None = self.pm.hook.ensure_subscription(
            system=system, url=url, create=create
        )
        return found

    def presets(self) -> list[dict[str, Any]]:
        """Every preset any plugin provides."""
        found: list[dict[str, Any]] = []
        for batch in self.pm.hook.provide_presets():
            found.extend(batch)
        return found

    @staticmethod
    def _required(value: Any, hook: str, system: SystemContext) -> Any:
        if value is None:
            raise PluginError(
                f"no plugin answered {hook} for system {system.name!r} "
                f"(connector {system.connector!r}); is the connector installed and allowed?"
            )
        return value
