"""The memory connector: the reference connector the conformance suite pairs a subject with.

Written from ``docs/memory-api.md`` (the fake is written from the same page). It carries
every canonical entity and field as it is, so the rules a check exercises are the engine's
and the subject's, never a mapping's. It honours every general rule; a deliberately broken
copy of it is :mod:`conformance.hostile`.
"""

from __future__ import annotations

import time
from typing import Any

from conformance.memory import merging
from framework import (
    ApplyResult,
    AssociateMapping,
    Change,
    ChangePage,
    Connector,
    ConnectorInfo,
    EntitySupport,
    FatalError,
    HttpSettings,
    MatchQuery,
    MatchResult,
    MergeOutcome,
    MergeRequest,
    Op,
    RecordRejected,
    SystemContext,
    WriteOp,
    WriteRequest,
    hookimpl,
    request_json,
)
from framework.cursors import FeedCursor, parse_utc
from framework.errors import describe
from framework.models.base import entity_model, entity_names

GENERAL_RULES = ["G-1", "G-2", "G-3", "G-4", "G-5", "G-6", "G-7", "G-8"]
ASSOCIATES_TTL = 3600.0


class MemorySettings(HttpSettings):
    """``[systems.NAME]`` keys of a memory system."""

    connector: str = "memory"


def supported_entities() -> dict[str, EntitySupport]:
    """Every canonical entity, every field, deletes, and the model's own match keys."""
    out = {}
    for name in entity_names():
        model = entity_model(name)
        keys = sorted(model.model_construct().match_keys())
        out[name] = EntitySupport(
            fields=list(model.model_fields), delete=True, match_keys=keys, remote_match=True
        )
    return out


class MemoryConnector(Connector):
    """The memory reference system (``docs/memory-api.md``), on either side of a pair."""

    name = "memory"
    rules = [
        *GENERAL_RULES,
        *("CB-1", "CB-3", "CB-4", "CB-5", "CB-6", "CB-7", "CB-8", "CB-9", "CB-10", "CB-11"),
        *("CB-12", "IS-2", "IS-3", "IS-4", "SQ-2"),
    ]

    def info(self) -> ConnectorInfo:
        """Every entity, both sides."""
        return ConnectorInfo(
            name=self.name,
            side="any",
            summary="In-memory reference system of the conformance suite (docs/memory-api.md)",
            settings_model=MemorySettings,
            rules=list(self.rules),
            entities=supported_entities(),
        )

    # -- plumbing ---------------------------------------------------------------------------

    def call(self, system: SystemContext, method: str, url: str, **kwargs: Any) -> Any:
        """One request with the system's key, errors classified by the framework."""
        assert system.http is not None, "the framework builds the HTTP client"
        settings = system.settings
        assert isinstance(settings, HttpSettings)
        headers = kwargs.pop("headers", {})
        if settings.api_key is not None:
            headers["authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        return request_json(system.http, method, url, system=system.name, headers=headers, **kwargs)

    def to_change(self, entity: str, item: dict[str, Any]) -> Change:
        """The change one feed record reports."""
        base: dict[str, Any] = {
            "entity": entity,
            "id": item["id"],
            "actor": item.get("updated_by"),
            "updated_at": parse_utc(item["updated_at"]),
            "version": str(item["version"]),
            "link_key": item.get("code") or None,
        }
        if item.get("deleted"):
            return Change(**base, op=Op.DELETE)
        try:
            return Change(**base, record=entity_model(entity).model_validate(item["data"]))
        except ValueError as exc:
            return Change(**base, problem=f"{entity} {item['id']} cannot be read: {describe(exc)}")

    # -- hooks ------------------------------------------------------------------------------

    @hookimpl
    def fetch_changes(
        self, system: SystemContext, entity: str, cursor: str | None, limit: int
    ) -> ChangePage | None:
        """One page of the entity's feed, resumable at the boundary (``FeedCursor``)."""
        if not self._mine(system):
            return None
        return self.read_page(system, entity, cursor, limit)

    def read_page(
        self, system: SystemContext, entity: str, cursor: str | None, limit: int
    ) -> ChangePage:
        """One page of the feed after ``cursor``."""
        position = FeedCursor.load(cursor)
        params: dict[str, Any] = {"limit": min(limit, 500)}
        if position.since is not None:
            params["updated_since"] = position.since.isoformat()
        if position.token:
            params["page_token"] = position.token
        body = self.call(system, "GET", f"/v1/{entity}", params=params)
        changes = []
        for item in body["data"]:
            change = self.to_change(entity, item)
            assert change.updated_at is not None
            if position.fresh(change.id, change.version or "", change.updated_at):
                changes.append(change)
        token = body.get("next_page_token")
        return ChangePage(
            changes=changes, cursor=position.after_page(token).dump(), more=token is not None
        )

    @hookimpl
    def apply_change(self, system: SystemContext, request: WriteRequest) -> ApplyResult | None:
        """Create, update or delete one record."""
        if not self._mine(system):
            return None
        return self.write(system, request)

    def write(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """Send one write; the stored record comes back as the shadow (G-4)."""
        path = f"/v1/{request.entity}"
        headers = {"x-memory-associate": request.associate} if request.associate else {}
        try:
            if request.op is WriteOp.DELETE:
                self.call(system, "DELETE", f"{path}/{request.target_id}", headers=headers)
                return ApplyResult(id=request.target_id)
            assert request.record is not None
            data = self.body(request)
            if request.op is WriteOp.CREATE:
                headers["idempotency-key"] = request.idempotency_key
                body: dict[str, Any] = {"data": data}
                if request.link_key:  # the shared code travels with a new record (IS-3)
                    body["code"] = request.link_key
                item = self.call(system, "POST", path, json=body, headers=headers)
            else:
                url = f"{path}/{request.target_id}"
                item = self.call(system, "PATCH", url, json={"data": data}, headers=headers)
        except FatalError as exc:
            if exc.status != 404:
                raise
            if request.op is WriteOp.DELETE:  # already gone: deleting twice is deleting once
                return ApplyResult(id=request.target_id)
            raise RecordRejected(str(exc), system=system.name, status=404) from None
        model = entity_model(request.entity)
        return ApplyResult(
            id=item["id"],
            version=str(item["version"]),
            record=model.model_validate(item["data"]),
            link_key=item.get("code") or None,
        )

    @staticmethod
    def body(request: WriteRequest) -> dict[str, Any]:
        """The fields to send: everything on a create, the changed fields on an update."""
        assert request.record is not None
        data: dict[str, Any] = request.record.model_dump(mode="json")
        if request.op is WriteOp.CREATE or not request.fields:
            return data
        wanted = {f.partition(".")[0] for f in request.fields}
        return {k: v for k, v in data.items() if k in wanted}

    @hookimpl
    def match_record(self, system: SystemContext, query: MatchQuery) -> MatchResult | None:
        """Search live by each match key when replaying a create; else the engine's index."""
        if not self._mine(system) or not query.replay:
            return None
        found: dict[str, Any] = {}
        model = entity_model(query.entity)
        for name, values in query.keys.items():
            for value in values:
                params = {"key": f"{name}:{value}"}
                body = self.call(system, "GET", f"/v1/{query.entity}", params=params)
                for item in body["data"]:
                    found[item["id"]] = model.model_validate(item["data"])
        return MatchResult(ids=list(found), records=found, source="memory search")

    def merge(self, system: SystemContext, request: MergeRequest) -> MergeOutcome | None:
        """Merge records into the survivor, every list element kept (SQ-2, ``merging.py``)."""
        return self.merged(system, request)

    def merged(
        self, system: SystemContext, request: MergeRequest, lossy: bool = False
    ) -> MergeOutcome:
        """The merge, done right unless ``lossy`` (the hostile connector's sin)."""

        def call(method: str, url: str, **kwargs: Any) -> Any:
            return self.call(system, method, url, **kwargs)

        stored, kept, filled = merging.merge(call, request, lossy)
        return MergeOutcome(
            id=stored["id"],
            record=entity_model(request.entity).model_validate(stored["data"]),
            version=str(stored["version"]),
            removed=list(request.others),
            details={"filled": filled},
            kept=kept,
        )

    def associate(
        self, system: SystemContext, user_id: str | None, default_associate: str | None
    ) -> AssociateMapping | None:
        """The POS associate a platform user maps to (G-8); ``None`` for unmapped users."""
        if user_id is None:
            return None
        pos_id = self.users(system).get(user_id)
        return AssociateMapping(pos_associate=pos_id, source="mapped") if pos_id else None

    def users(self, system: SystemContext) -> dict[str, str | None]:
        """User id -> POS associate, cached for an hour."""
        cached = system.cache.get("associates")
        if cached is None or time.monotonic() - cached[0] > ASSOCIATES_TTL:
            body = self.call(system, "GET", "/v1/associates")
            cached = (time.monotonic(), {u["id"]: u.get("pos_id") for u in body["data"]})
            system.cache["associates"] = cached
        users: dict[str, str | None] = cached[1]
        return users
