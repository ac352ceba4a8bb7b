"""One EDT file kind as the connector sees it: how its records read and how imports write.

A :class:`FileKind` names the file (``WishList``), its wrapper (``Wishes``), the fields that
hold the record's key, the partner's id (``WishlistTransfer``) and the associate who changed
it, and the mapping functions of its module (``wishes.py``…). The connector's reading and
writing are the same for every kind (``connector.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from framework import CanonicalRecord, Change, Op, RecordRejected, WriteOp, WriteRequest
from framework.errors import describe
from plugins.edge.settings import EdgeSettings

_UNICODE = re.compile("[^\ud800-\udfff]*")
Reader = Callable[[dict[str, Any], EdgeSettings], CanonicalRecord | None]
Writer = Callable[[CanonicalRecord, list[str] | None, str, EdgeSettings], dict[str, Any]]


def _never(value: dict[str, Any]) -> bool:
    return False


@dataclass(frozen=True)
class FileKind:
    """One EDT file kind and its mapping (see the module docstring)."""

    entity: str
    kind: str
    wrapper: str
    key_field: str
    read: Reader
    fields: tuple[str, ...] = ()
    write: Writer | None = None
    transfer: str | None = None
    user_field: str | None = None
    deleted: Callable[[dict[str, Any]], bool] = _never
    delete_value: Callable[[EdgeSettings], dict[str, Any]] | None = None
    on_create: Callable[[str | None], dict[str, Any]] | None = None
    on_update: Callable[[dict[str, Any], WriteRequest], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    kept: tuple[str, ...] = ()

    def change(
        self, record: Any, settings: EdgeSettings, where: str, flaw: str | None = None
    ) -> Change | None:
        """The change an exported record stands for (``None``: not this entity's record).

        A record of the wrong shape or type becomes a change with a ``problem`` naming the
        record and the field, never an exception (G-5): one malformed record must not stop
        every run at the same file. ``where`` (``FILE#INDEX``) names a record without a key.
        ``flaw`` says where the record holds text that is not Unicode (``parsing.py``): the
        record is quarantined with it, and its text goes nowhere (not even the problem).
        """
        value = record.get("PairValue") if isinstance(record, dict) else None
        if not isinstance(value, dict):
            return Change(
                entity=self.entity,
                id=f"record:{where}",
                problem=f"record {where} is not a Key/PairValue object: {record!r:.80}",
            )
        key = str(record.get("Key") or value.get(self.key_field) or "")
        if flaw is not None:
            if _UNICODE.fullmatch(key) is None:
                key = ""  # named by its place in the file instead
            name = key or f"record {where}"
            return Change(
                entity=self.entity,
                id=key or f"record:{where}",
                problem=f"Edge {self.entity} {name}: {flaw}",
            )
        transfer = value.get(self.transfer) if self.transfer else None
        web_id = transfer.get("WebTransferWebID") if isinstance(transfer, dict) else None
        base: dict[str, Any] = {
            "entity": self.entity,
            "id": key or f"record:{where}",
            "link_key": str(web_id) if web_id else None,
        }
        if not key:
            missing = f"an exported {self.kind} record has no {self.key_field}"
            return Change(**base, problem=f"record {where}: {missing}")
        if self.deleted(value):
            return Change(**base, op=Op.DELETE)
        try:
            canonical = self.read(value, settings)
            # A text with control characters is refused here, by the change (naming the field).
            return None if canonical is None else Change(**base, record=canonical)
        except ValueError as exc:
            return Change(**base, problem=f"Edge {self.entity} {key}: {describe(exc)}")
        except (TypeError, KeyError, AttributeError) as exc:  # a shape the mapping missed
            what = f"malformed ({type(exc).__name__}: {exc})"
            return Change(**base, problem=f"Edge {self.entity} {key}: {what}")

    def import_record(self, request: WriteRequest, settings: EdgeSettings) -> dict[str, Any]:
        """The import record for one write (no ``Key``: a new record carrying our id).

        Raises:
            RecordRejected: Edge cannot take this write (a kind without deletes).
        """
        key = request.target_id or ""
        if request.op is WriteOp.DELETE:
            if self.delete_value is None:
                raise RecordRejected(f"Edge cannot delete a {self.entity}", rule="G-7")
            value = self.delete_value(settings)
        else:
            fields = None if request.op is WriteOp.CREATE else request.fields
            value = self._value(request, fields, settings)
            if request.op is WriteOp.UPDATE and self.on_update is not None:
                self.on_update(value, request)  # what an update import leaves out
        value[self.key_field] = key
        if self.user_field:
            value[self.user_field] = request.associate
        if not key and self.transfer:
            # The platform's code when the record carries one, else the write's idempotency
            # key: a stable partner id that makes a replayed import update the same record.
            value[self.transfer] = {"WebTransferWebID": request.link_key or request.idempotency_key}
        return {"Key": key, "PairValue": value}

    def web_id(self, request: WriteRequest) -> str | None:
        """The partner id a new record is imported with, by which it will be found (IS-3 style)."""
        if request.target_id or not self.transfer or request.op is not WriteOp.CREATE:
            return None
        return request.link_key or request.idempotency_key

    def _value(
        self, request: WriteRequest, fields: list[str] | None, settings: EdgeSettings
    ) -> dict[str, Any]:
        assert self.write is not None
        assert request.record is not None
        value = self.write(request.record, fields, request.target_id or "", settings)
        if request.op is WriteOp.CREATE and self.on_create is not None:
            value.update(self.on_create(request.associate))
        if self.user_field:
            value[self.user_field] = request.associate
        return value

    def stored(self, request: WriteRequest, settings: EdgeSettings) -> CanonicalRecord | None:
        """The record as Edge will export it once imported: our own mapping, both ways.

        Edge's import is not read back until EDT has run twice, so the shadow is what a
        round trip through the mapping gives, not what was asked for: the read-back is then
        an echo (G-4). Fields an update never imports (``kept``) stay as the request has them.
        """
        if request.op is WriteOp.DELETE or request.record is None or self.write is None:
            return None
        stored = self.read(self._value(request, None, settings), settings)
        if stored is not None and request.op is WriteOp.UPDATE and self.kept:
            stored = stored.model_copy(update={f: getattr(request.record, f) for f in self.kept})
        return stored
