"""The fake Podium on its own: OAuth tokens, the 202 queue, upserts, paging, errors, limits.

Every exchange on a public path is checked against Podium's spec (``tests/podium_spec.py``)
when each test ends; the modelled partner paths follow ``docs/podium-api.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakes.podium import PodiumState, make_app, podium_faults
from fakes.toolkit import FaultPlan, FaultState, RateLimit, SyncASGITransport
from tests.podium_spec import HOST, Recorder

TOKEN_URL = "https://accounts.podium.com/oauth/token"


class Fake:
    """A client of the fake with a token, the state, and the recorder."""

    def __init__(self, state: PodiumState, recorder: Recorder, http: httpx.Client):
        self.state, self.recorder, self.http = state, recorder, http
        self.token = self.grant().json()["access_token"]

    def grant(self, **overrides: str) -> httpx.Response:
        body = {
            "grant_type": "refresh_token",
            "client_id": self.state.client_id,
            "client_secret": self.state.client_secret,
            "refresh_token": self.state.refresh_token,
            **overrides,
        }
        return self.http.post(TOKEN_URL, json=body)

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def later(self, seconds: float) -> None:
        self.state.clock.offset += dt.timedelta(seconds=seconds)

    @property
    def location(self) -> str:
        return self.state.location


@pytest.fixture
def fake() -> Iterator[Fake]:
    state = PodiumState(visibility_delay=2.0, token_ttl=3600)
    recorder = Recorder(SyncASGITransport(make_app(state, podium_faults())))
    http = httpx.Client(transport=recorder, base_url=HOST)
    client = Fake(state, recorder, http)
    yield client
    checked = recorder.checked()  # every public answer conforms to Podium's spec
    assert checked, "no exchange was checked against the spec"
    http.close()


def contact(fake: Fake, name: str = "Ada Lovelace", **fields: Any) -> httpx.Response:
    return fake("POST", "/v4/contacts", json={"name": name, "locations": [fake.location], **fields})


# -- OAuth 2 ----------------------------------------------------------------------------------


def test_tokens_come_from_the_refresh_token_and_expire(fake: Fake):
    assert fake.state.oauth.issued == 1
    assert fake("GET", "/v4/contacts").status_code == 200
    refused = fake.grant(refresh_token="stolen")
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    wrong = fake.grant(client_secret="guess")
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_client")
    nobody = fake.http.get("/v4/contacts")
    assert (nobody.status_code, nobody.json()["code"]) == (401, "unauthorized")
    fake.later(3601)
    expired = fake("GET", "/v4/contacts")
    assert (expired.status_code, expired.json()["code"]) == (401, "unauthorized")
    assert "expired" in expired.json()["message"]
    fake.token = fake.grant().json()["access_token"]
    assert fake("GET", "/v4/contacts").status_code == 200


# -- contacts: 202, the queue, the upsert --------------------------------------------------------


def test_a_create_answers_202_and_shows_only_after_the_queue(fake: Fake):
    made = contact(fake, email="Ada@Example.com", phoneNumber="+12175550142")
    assert made.status_code == 202
    assert made.json()["data"] == {"identifier": "+12175550142"}
    assert fake("GET", "/v4/contacts").json()["data"] == [], "queued, not visible yet"
    assert fake("GET", "/v4/contacts/ada@example.com").status_code == 404
    fake.later(2.5)
    [ada] = fake("GET", "/v4/contacts").json()["data"]
    assert (ada["name"], ada["emails"], ada["phoneNumbers"]) == (
        "Ada Lovelace",
        ["Ada@Example.com"],
        ["+12175550142"],
    )
    for identifier in (ada["uid"], "ada@example.com", "+12175550142"):
        assert fake("GET", f"/v4/contacts/{identifier}").json()["data"]["uid"] == ada["uid"]


def test_create_is_an_upsert_on_phone_or_email(fake: Fake):
    contact(fake, email="grace@example.com")
    contact(fake, "Grace B. Hopper", email="GRACE@example.com", phoneNumber="+12175550100")
    contact(fake, "Grace Hopper", phoneNumber="+12175550100")
    fake.later(3)
    [grace] = fake("GET", "/v4/contacts").json()["data"]
    assert grace["name"] == "Grace Hopper", "one contact, updated by each create in turn"
    assert grace["emails"] == ["grace@example.com"]
    assert grace["phoneNumbers"] == ["+12175550100"]


def test_updates_deletes_and_attributes_are_queued_too(fake: Fake):
    contact(fake, email="mia@example.com")
    fake.later(3)
    uid = fake("GET", "/v4/contacts/mia@example.com").json()["data"]["uid"]
    ring = fake(
        "POST",
        "/v4/contact_attributes",
        json={"label": "Ring size", "dataType": "STRING", "ownerResourceType": "ORGANIZATION"},
    ).json()["data"]
    assert fake("PATCH", f"/v4/contacts/{uid}", json={"email": "mia.w@example.com"}).status_code
    assert fake("POST", f"/v4/contacts/{uid}/attributes/{ring['uid']}", json={"value": "7"})
    assert fake("GET", f"/v4/contacts/{uid}").json()["data"]["emails"] == ["mia@example.com"]
    fake.later(3)
    now = fake("GET", f"/v4/contacts/{uid}").json()["data"]
    assert now["emails"] == ["mia.w@example.com"], "email replaces the first e-mail"
    assert [(a["label"], a["value"]) for a in now["attributes"]] == [("Ring size", "7")]
    fake("DELETE", f"/v4/contacts/{uid}/attributes/{ring['uid']}")
    fake("DELETE", f"/v4/contacts/{uid}")
    assert fake("GET", f"/v4/contacts/{uid}").status_code == 200, "still queued"
    fake.later(3)
    gone = fake("GET", f"/v4/contacts/{uid}")
    assert (gone.status_code, gone.json()["code"]) == (404, "not_found")
    assert fake("GET", "/v4/contacts").json()["data"] == [], "no deletion feed: simply absent"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"phoneNumber": "217-555-0142"}, "phoneNumber"),
        ({"email": "a@b.co", "nickname": "Al"}, "unknown field nickname"),
        ({}, "phoneNumber or an email"),
        ({"email": "a@b.co", "name": ""}, "name"),
    ],
)
def test_refused_writes_answer_400_naming_the_field_and_queue_nothing(fake: Fake, body, words):
    answer = fake("POST", "/v4/contacts", json={"name": "Al", "locations": [fake.location], **body})
    assert answer.status_code == 400
    assert answer.json()["code"] == "bad_request"
    assert words in answer.json()["message"]
    assert fake.state.queue.jobs == []


def test_unknown_identifier_is_404_at_once(fake: Fake):
    answer = fake("PATCH", "/v4/contacts/nobody@example.com", json={"name": "X"})
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


# -- paging and the updated_at filter ------------------------------------------------------------


def test_cursor_paging_with_data_arrays_and_next_cursor(fake: Fake):
    for i in range(23):
        fake.state.add_contact(f"P{i:02d} Page", email=f"p{i}@example.com")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        body = fake("GET", "/v4/contacts", params=params).json()
        seen += [c["uid"] for c in body["data"]]
        pages += 1
        cursor = body["metadata"].get("nextCursor")
        if not cursor:
            break
    assert (pages, len(seen), len(set(seen))) == (3, 23, 23)
    assert fake("GET", "/v4/contacts", params={"limit": 101}).status_code == 400
    assert fake("GET", "/v4/contacts", params={"cursor": "garbage"}).status_code == 400


def test_updated_at_returns_contacts_updated_after_the_second_given(fake: Fake):
    old = fake.state.add_contact("Old Timer", email="old@example.com")
    fake.later(5)
    new = fake.state.add_contact("New Comer", email="new@example.com")
    stamp = dt.datetime.fromisoformat(old["updatedAt"].replace("Z", "+00:00"))
    second = stamp.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    after = fake("GET", "/v4/contacts", params={"updated_at": second}).json()["data"]
    assert [c["uid"] for c in after] == [old["uid"], new["uid"]], "later in the same second"
    later = (stamp + dt.timedelta(seconds=1)).replace(microsecond=0)
    only_new = fake(
        "GET", "/v4/contacts", params={"updated_at": later.strftime("%Y-%m-%dT%H:%M:%SZ")}
    ).json()["data"]
    assert [c["uid"] for c in only_new] == [new["uid"]]


# -- the rate limit ------------------------------------------------------------------------------


def test_more_than_300_requests_a_minute_answer_429_rate_limit():
    state = PodiumState()
    faults = podium_faults()
    assert faults.plan.rate_limit == RateLimit(requests=300, window=60.0)
    faults.configure(FaultPlan(rate_limit=RateLimit(requests=5, window=60.0)))
    recorder = Recorder(SyncASGITransport(make_app(state, faults)))
    with httpx.Client(transport=recorder, base_url=HOST) as http:
        answers = [http.get("/v4/locations") for _ in range(6)]
    limited = answers[-1]
    assert [a.status_code for a in answers[:5]] == [401] * 5, "counted, then refused for auth"
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limit"
    assert set(limited.json()) == {"code", "message", "moreInfo"}
    assert 0 < float(limited.headers["retry-after"]) <= 60
    assert recorder.checked()


# -- modelled: products, purchases, the timeline ---------------------------------------------------


def test_products_are_written_on_clientele_plus_and_found_by_xid(fake: Fake):
    body = {"xid": "001-100-00001", "name": "Halo ring", "price": "1850", "images": ["a.jpg"]}
    assert fake("POST", "/v4/products", json=body).status_code == 202
    fake.later(3)
    [product] = fake("GET", "/v4/products", params={"xid": "001-100-00001"}).json()["data"]
    assert product["name"] == "Halo ring | Timeless Piece", "Podium's generator titled it"
    assert product["price"] == "1850.00"
    assert product["archivedAt"] is None
    fake("POST", "/v4/products", json={"xid": "001-100-00001", "archived": True})
    fake.later(3)
    again = fake("GET", f"/v4/products/{product['uid']}").json()["data"]
    assert again["archivedAt"] is not None
    assert again["name"] == product["name"], "fields left out keep their value"
    fake.state.tier = "clientele"
    refused = fake("POST", "/v4/products", json={"xid": "001-100-00002"})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")


def test_timeline_events_are_added_once_and_purchases_upserted(fake: Fake):
    uid = fake.state.add_contact("Tim Line", email="tim@example.com")["uid"]
    assert fake("GET", f"/v4/contacts/{uid}").status_code == 200
    event = {
        "externalId": "e-1",
        "subject": {"type": "service_job", "externalId": "R1001"},
        "action": "Not Ready",
        "title": "Repair R1001 Not Ready",
        "occurredAt": "2026-11-23T10:00:00Z",
        "details": {"jobNo": "R1001"},
    }
    for _ in range(2):
        assert fake("POST", f"/v4/contacts/{uid}/timeline_events", json=event).status_code == 202
    bad = fake("POST", f"/v4/contacts/{uid}/timeline_events", json={**event, "subject": {}})
    assert bad.status_code == 400
    sale = {"externalId": "001-00001-1", "amount": "25", "description": "Engraving"}
    fake("POST", f"/v4/contacts/{uid}/purchases", json=sale)
    fake("POST", f"/v4/contacts/{uid}/purchases", json={**sale, "amount": "30"})
    fake.later(3)
    timeline = fake("GET", f"/v4/contacts/{uid}/timeline_events").json()["data"]
    assert [e["externalId"] for e in timeline] == ["e-1"], "the same event is not added twice"
    [purchase] = fake("GET", f"/v4/contacts/{uid}/purchases").json()["data"]
    assert purchase["amount"] == "30.00"


def test_injected_faults_answer_in_podiums_error_shape():
    state = PodiumState()
    faults = FaultState(FaultPlan(rules=[{"kind": "503", "nth": [1]}]))  # type: ignore[list-item]
    with httpx.Client(transport=SyncASGITransport(make_app(state, faults)), base_url=HOST) as http:
        answer = http.get("/v4/contacts")
    assert answer.status_code == 503
    assert answer.json()["code"] == "service_unavailable"


def test_the_spec_check_catches_an_answer_that_does_not_conform():
    from openapi_core.validation.response.exceptions import ResponseValidationError

    from tests.podium_spec import check

    request = httpx.Request("GET", f"{HOST}/v4/contacts/x@example.com")
    wrong = httpx.Response(200, json={"data": {"uid": "u", "emails": "x@example.com"}})
    with pytest.raises(ResponseValidationError):
        check(request, wrong)
    numeric = httpx.Response(404, json={"code": 404, "message": "no", "moreInfo": "x"})
    with pytest.raises(ResponseValidationError):
        check(request, numeric)
    timeline = httpx.Request("POST", f"{HOST}/v4/contacts/x@example.com/timeline_events")
    assert check(timeline, wrong) == "modelled"


# -- look-ups by phone and e-mail after changes (the fake's index, fakes/podium/contact_index.py) --


def uid_of(fake: Fake, identifier: str) -> str | None:
    answer = fake("GET", f"/v4/contacts/{identifier}")
    return answer.json()["data"]["uid"] if answer.status_code == 200 else None


def test_look_ups_follow_updates_and_deletes(fake: Fake):
    contact(fake, "Mia", email="mia@example.com", phoneNumber="+12175550101")
    contact(fake, "Ben", email="ben@example.com")
    fake.later(3)
    mia, ben = uid_of(fake, "mia@example.com"), uid_of(fake, "ben@example.com")
    assert mia
    assert ben
    assert mia != ben
    fake("PATCH", f"/v4/contacts/{mia}", json={"email": "mia.w@example.com"})
    fake("PATCH", f"/v4/contacts/{mia}", json={"phoneNumber": "+12175550102"})
    fake.later(3)
    assert (uid_of(fake, "MIA.W@example.com"), uid_of(fake, "+12175550102")) == (mia, mia)
    assert uid_of(fake, "mia@example.com") is None, "the replaced e-mail finds nobody"
    assert uid_of(fake, "+12175550101") is None, "the replaced phone finds nobody"
    contact(fake, "Other Mia", email="mia@example.com")
    fake.later(3)
    assert uid_of(fake, "mia@example.com") not in (None, mia, ben), "a new contact, no upsert"
    fake("DELETE", f"/v4/contacts/{ben}")
    fake.later(3)
    assert uid_of(fake, "ben@example.com") is None
    contact(fake, "Ben again", email="ben@example.com")
    fake.later(3)
    assert uid_of(fake, "ben@example.com") not in (None, ben), "created anew, not the tombstone"


def test_a_merged_contacts_email_finds_the_survivor_and_upserts_onto_it(fake: Fake):
    from fakes.podium.webhooks import PodiumWebhooks

    kept = fake.state.add_contact("Ann", phone="+12175550103")["uid"]
    gone = fake.state.add_contact("Ann B", email="ann@example.com")["uid"]
    PodiumWebhooks(fake.state).merged(kept, gone)
    assert uid_of(fake, "ann@example.com") == kept
    assert uid_of(fake, gone) is None
    contact(fake, "Ann C", email="Ann@Example.com")
    fake.later(3)
    assert [c["uid"] for c in fake("GET", "/v4/contacts").json()["data"]] == [kept]
    assert uid_of(fake, "ann@example.com") == kept


def test_a_shared_email_finds_the_first_created_live_contact(fake: Fake):
    first = fake.state.add_contact("Zoe", email="zoe@example.com")["uid"]
    second = fake.state.add_contact("Zoe B", email="ZOE@example.com", phone="+12175550104")["uid"]
    assert uid_of(fake, "zoe@example.com") == first, "Podium's web app allows the duplicate"
    contact(fake, "Zoe C", email="zoe@example.com", phoneNumber="+12175550104")
    fake.later(3)
    assert fake("GET", f"/v4/contacts/{first}").json()["data"]["name"] == "Zoe C", "first match"
    assert fake("GET", f"/v4/contacts/{second}").json()["data"]["name"] == "Zoe B"
    fake.state.delete_contact(first)
    assert uid_of(fake, "zoe@example.com") == second
    fake.state.edit_contact(second, emails=["zoe.b@example.com"])
    assert uid_of(fake, "zoe@example.com") is None
