"""The fake Podium's contact store, indexed by phone number and e-mail.

A look-up by uid, phone or e-mail (``Contacts.find``) and a create's upsert match
(``Contacts._upsert``) used to check every live contact, so an upload of n contacts cost
O(n²). :class:`ContactStore` keeps ``phone -> uids`` and ``lower-cased e-mail -> uids``
for the live contacts, refreshed on every change the store makes (create, update, merge,
delete: all pass through ``FeedStore._tell``, also while a merge silences the listeners),
before any listener hears of it. Where several live contacts share a phone or e-mail (the
web app allows it), the one created first wins, as the scan in creation order did.
"""

from __future__ import annotations

from typing import Any

from fakes.toolkit import FeedStore


class ContactStore(FeedStore):
    """A :class:`FeedStore` of contacts that finds live ones by phone or e-mail."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rank: dict[str, int] = {}  # uid -> creation order
        self._keys: dict[str, tuple[frozenset[str], frozenset[str]]] = {}  # what uid is under
        self._phones: dict[str, set[str]] = {}
        self._emails: dict[str, set[str]] = {}  # lower-cased

    def _tell(self, kind: str, record: dict[str, Any]) -> None:
        self._reindex(record)
        super()._tell(kind, record)

    def _reindex(self, record: dict[str, Any]) -> None:
        uid = record["id"]
        self._rank.setdefault(uid, len(self._rank))
        phones, emails = self._keys.pop(uid, (frozenset(), frozenset()))
        _drop(self._phones, phones, uid)
        _drop(self._emails, emails, uid)
        if record.get("deleted"):
            return
        phones = frozenset(record["phones"])
        emails = frozenset(e.lower() for e in record["emails"])
        self._keys[uid] = (phones, emails)
        for phone in phones:
            self._phones.setdefault(phone, set()).add(uid)
        for email in emails:
            self._emails.setdefault(email, set()).add(uid)

    def first(
        self, *, uid: str | None = None, phone: str | None = None, email: str | None = None
    ) -> dict[str, Any] | None:
        """The first-created live contact with this uid, phone or (lower-cased) e-mail.

        ``None`` leaves a key out of the match.
        """
        with self.lock:
            found: set[str] = set()
            if uid is not None and uid in self._keys:
                found.add(uid)
            if phone is not None:
                found.update(self._phones.get(phone, ()))
            if email is not None:
                found.update(self._emails.get(email, ()))
            if not found:
                return None
            return self.records[min(found, key=self._rank.__getitem__)]


def _drop(index: dict[str, set[str]], keys: frozenset[str], uid: str) -> None:
    for key in keys:
        uids = index.get(key)
        if uids is not None:
            uids.discard(uid)
            if not uids:
                del index[key]
