"""Finding records by phone, e-mail or name (SQ-3), in what the engine knows of both sides.

People look customers up the way they know them: an e-mail (compared normalised), a phone
number (compared as E.164, or by its trailing digits), or part of a name (case- and
whitespace-folded). The search reads the state store, so it needs no system to be up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from framework.normalize import email_key, name_key, phone_e164, record_name, text_key
from framework.state.store import StateStore, StoredRecord

_DIGITS = re.compile(r"\D")


@dataclass
class Found:
    """One record that matched: where it is, what it reads as, how it matched."""

    side: str
    id: str
    name: str
    emails: list[str]
    phones: list[str]
    by: str
    linked_to: str | None = None
    """The id of the record it is linked to on the other side (``None``: not linked)."""
    link_status: str | None = None
    """The link's status when it is not ``ok`` (broken, superseded, deleted…)."""


def find_records(
    store: StateStore,
    pair: str,
    entity: str,
    text: str,
    region: str = "US",
    limit: int | None = None,
) -> list[Found]:
    """Records of ``entity`` on either side of ``pair`` matching ``text`` (``limit``: at most).

    The store narrows the records down: by its index of folded names, by the key index
    (G-3), or by fragments every match holds (the last digits, the e-mail's local part), so
    a search reads a few records, not all.
    """
    test, by = _test(text, region)
    found: list[Found] = []
    for rec in _candidates(store, pair, entity, text, by, region, limit):
        data = rec.now
        if rec.deleted or not data or not test(data):
            continue
        if limit is not None and len(found) >= limit:
            break
        link = store.link_by_id(pair, entity, rec.side, rec.id)
        found.append(
            Found(
                rec.side,
                rec.id,
                record_name(data),
                [e["address"] for e in data.get("emails") or []],
                [p["number"] for p in data.get("phones") or []],
                by,
                link.id_on("platform" if rec.side == "pos" else "pos") if link else None,
                link.status if link is not None and link.status != "ok" else None,
            )
        )
    return found


def _candidates(
    store: StateStore,
    pair: str,
    entity: str,
    text: str,
    by: str,
    region: str,
    limit: int | None = None,
) -> Iterable[StoredRecord]:
    """The records that may match (a superset: each is tested).

    A name from the store's index of folded names; an e-mail or phone from the key index
    (G-3's) when both sides keep the key searched, else narrowed down by fragments of the
    text.
    """
    sides = ("pos", "platform")
    if by == "name":
        for side, record_id in store.find_by_name(pair, entity, text_key(text), limit):
            rec = store.record(pair, entity, side, record_id)
            if rec is not None:
                yield rec
        return
    if by in ("email", "phone") and all(store.has_keys(pair, entity, s, by) for s in sides):
        try:
            wanted = email_key(text) if by == "email" else phone_e164(text, region)
        except ValueError:
            wanted = None
        digits = _DIGITS.sub("", text)
        for side in sides:
            ids = store.find_by_keys(pair, entity, side, {by: [wanted]}) if wanted else []
            if by == "phone":
                ids += store.find_by_key_suffix(pair, entity, side, "phone", digits)
            for record_id in sorted(set(ids)):
                rec = store.record(pair, entity, side, record_id)
                if rec is not None:
                    yield rec
        return
    yield from store.records_containing(pair, entity, _fragments(text, by))


def _fragments(text: str, by: str) -> list[str]:
    """Pieces of text every record matching ``text`` holds in its stored JSON, when sure.

    An e-mail's local part; a phone's last seven digits (an E.164 number ends with them,
    whether it matches whole or by its trailing digits). Text that JSON escapes (quotes,
    backslashes, control characters) or beyond ASCII gives none: every record is then
    tested. (Names are found through the store's index of folded names.)
    """
    email = by == "email"
    pieces = [text.strip().split("@")[0].lower() if email else _DIGITS.sub("", text)[-7:]]
    if all(
        p and p.isascii() and p.isprintable() and '"' not in p and "\\" not in p for p in pieces
    ):
        return pieces
    return []


def _test(text: str, region: str) -> tuple[Any, str]:
    if "@" in text:
        wanted = email_key(text)
        return (
            lambda d: any(email_key(e["address"]) == wanted for e in d.get("emails") or []),
            "email",
        )
    digits = _DIGITS.sub("", text)
    if len(digits) >= 7 and not re.search(r"[A-Za-z]", text):
        try:
            number = phone_e164(text, region)
        except ValueError:
            number = None
        return (
            lambda d: any(
                p["number"] == number or _DIGITS.sub("", p["number"]).endswith(digits)
                for p in d.get("phones") or []
            ),
            "phone",
        )
    needle = text_key(text)
    return (lambda d: needle in (name_key(d) or "")), "name"
