"""The fake Podium's contact index answers as a scan of every live contact in creation order.

``fakes/podium/contact_index.py`` replaced that scan (``Contacts.find``, the create's upsert
match) to keep the fake's cost per call flat; here both are run side by side over random
creates, upserts, web-app edits, merges and deletes (contacts sharing a phone or an e-mail
included) against the fake as it was, and must hold the same contacts and find the same one
every time.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from fakes.podium import PodiumState
from fakes.podium.webhooks import PodiumWebhooks

PHONES = [f"+1217555{n:04d}" for n in range(6)]
EMAILS = [f"{name}@example.com" for name in ("ann", "Ben", "CY", "dee", "eve", "fay")]


class ScanningPodium(PodiumState):
    """The fake as it was: each look-up and each create's upsert match scan every contact."""

    def find(self, identifier: str) -> dict[str, Any] | None:
        wanted = identifier.strip().lower()
        for record in self.contacts.live():
            if (
                record["id"] == identifier
                or identifier in record["phones"]
                or wanted in (e.lower() for e in record["emails"])
            ):
                return record
        return None

    def _upsert(self, fields: dict[str, Any]) -> None:
        email = (fields.get("email") or "").lower()
        phone = fields.get("phoneNumber")
        for record in self.contacts.live():
            if (phone and phone in record["phones"]) or (
                email and email in (e.lower() for e in record["emails"])
            ):
                self._apply(record["id"], fields)
                return
        record = {
            "name": fields["name"],
            "emails": [fields["email"]] if fields.get("email") else [],
            "phones": [phone] if phone else [],
            "address": fields.get("address"),
            "attributes": {a["uid"]: a.get("value") for a in fields.get("attributes") or []},
            "locations": list(fields["locations"]),
        }
        self.contacts.create(record)


def live(state: PodiumState) -> list[str]:
    return [r["id"] for r in state.contacts.live()]


def step(state: PodiumState, hooks: PodiumWebhooks, rng: random.Random) -> None:
    uids = live(state)
    action = rng.choice(["create", "upsert", "web", "edit", "email", "merge", "delete", "patch"])
    phone, email = rng.choice(PHONES), rng.choice(EMAILS)
    if action in ("create", "upsert") or not uids:
        body: dict[str, Any] = {"name": f"n{rng.random():.3f}", "locations": [state.location]}
        body.update(
            rng.choice(
                [
                    {"email": email.upper()},
                    {"phoneNumber": phone},
                    {"email": email, "phoneNumber": phone},
                ]
            )
        )
        state.request_create(body)
    elif action == "web":
        state.add_contact("web", email=rng.choice([email, None]), phone=rng.choice([phone, None]))
    elif action == "edit":
        state.edit_contact(rng.choice(uids), phones=rng.sample(PHONES, rng.randint(0, 2)))
    elif action == "email":
        state.add_email(rng.choice(uids), email.swapcase())
    elif action == "merge" and len(uids) > 1:
        kept, gone = rng.sample(uids, 2)
        hooks.merged(kept, gone)
    elif action == "delete":
        state.request_delete(rng.choice(uids))
    elif action == "patch":
        state.request_update(
            rng.choice(uids), rng.choice([{"email": email}, {"phoneNumber": phone}])
        )
    state.settle(everything=rng.random() < 0.5)


def world(kind: type[PodiumState]) -> tuple[PodiumState, PodiumWebhooks]:
    state = kind(visibility_delay=0.0)
    state.clock.frozen = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)  # the same stamps in both
    return state, PodiumWebhooks(state)


def uid(found: dict[str, Any] | None) -> str | None:
    return None if found is None else str(found["id"])


@pytest.mark.parametrize("seed", range(5))
def test_the_indexed_fake_answers_as_the_scanning_one(seed: int):
    indexed, scanning = world(PodiumState), world(ScanningPodium)
    rngs = random.Random(seed), random.Random(seed)
    checked = 0
    for _ in range(300):
        for (state, hooks), rng in zip((indexed, scanning), rngs, strict=True):
            step(state, hooks, rng)
        assert indexed[0].snapshot() == scanning[0].snapshot()
        records = indexed[0].contacts.records.values()
        gone = [r["id"] for r in records if r["deleted"]]
        for identifier in [*PHONES, *EMAILS, " Ann@Example.COM ", *live(indexed[0]), *gone[-3:]]:
            assert uid(indexed[0].find(identifier)) == uid(scanning[0].find(identifier))
            checked += 1
    assert checked > 300 * 12
    assert len(live(indexed[0])) > 3, "the random run kept some contacts alive"
    assert any(r["deleted"] for r in indexed[0].contacts.records.values()), "and deleted some"
