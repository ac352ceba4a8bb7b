"""The fake Square driven by Square's official SDK, its answers checked against Square's spec.

If the fake misread the spec, the SDK (written by Square from the same spec) or the
validation catches it; the connector is written separately, so it cannot cancel it out.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jsonschema
import pytest
from openapi_core.validation.response.exceptions import ResponseValidationError
from square import Square
from square.core.api_error import ApiError

from fakes.square import SquareState, make_app
from fakes.toolkit import FaultPlan, FaultRule, FaultState, SyncASGITransport
from tests.recorder import Recorder
from tests.square_spec import HOST, check

TOKEN = "sdk-test-token"


@pytest.fixture
def fake() -> Iterator[tuple[Square, SquareState, Recorder, FaultState]]:
    state = SquareState(token=TOKEN)
    faults = FaultState()
    recorder = Recorder(SyncASGITransport(make_app(state, faults)))
    http = httpx.Client(transport=recorder, timeout=5)
    sdk = Square(token=TOKEN, base_url=HOST, httpx_client=http, version="2025-08-20")
    yield sdk, state, recorder, faults
    for request, response in recorder.exchanges:  # every answer conforms to Square's spec
        check(request, response)
    http.close()


NO_RETRY = {"max_retries": 0}


def test_create_retrieve_search_update_delete_through_the_sdk(fake):
    sdk, state, recorder, _ = fake
    made = sdk.customers.create(
        idempotency_key="k-1",
        given_name="Amelia",
        family_name="Earhart",
        email_address="Amelia.Earhart@example.com",
        phone_number="+1-212-555-4240",
        address={"address_line_1": "500 Electric Ave", "locality": "New York", "country": "US"},
    ).customer
    assert made.id
    assert made.version == 0
    assert made.creation_source == "THIRD_PARTY"
    again = sdk.customers.create(
        idempotency_key="k-1",
        given_name="Amelia",
        family_name="Earhart",
        email_address="Amelia.Earhart@example.com",
        phone_number="+1-212-555-4240",
        address={"address_line_1": "500 Electric Ave", "locality": "New York", "country": "US"},
    ).customer
    assert again.id == made.id, "the same idempotency key creates nothing new"
    assert sdk.customers.get(made.id).customer.email_address == "Amelia.Earhart@example.com"

    by_email = sdk.customers.search(
        query={"filter": {"email_address": {"exact": "amelia.earhart@EXAMPLE.com"}}}
    )
    assert [c.id for c in by_email.customers] == [made.id], "e-mail search is case-insensitive"
    by_phone = sdk.customers.search(query={"filter": {"phone_number": {"exact": "+12125554240"}}})
    assert [c.id for c in by_phone.customers] == [made.id]
    nobody = sdk.customers.search(query={"filter": {"email_address": {"exact": "x@y.example"}}})
    assert nobody.customers is None, "no result is an empty object"

    updated = sdk.customers.update(made.id, note="VIP", email_address=None, version=0).customer
    assert updated.version == 1
    assert updated.note == "VIP"
    assert updated.email_address is None
    sdk.customers.delete(made.id, version=1)
    with pytest.raises(ApiError) as gone:
        sdk.customers.get(made.id)
    assert gone.value.status_code == 404
    assert gone.value.errors[0].code == "NOT_FOUND"
    assert state.versions_seen[-1] == "2025-08-20", "the SDK sends Square-Version"
    assert len(recorder.exchanges) == 9


def test_stale_version_gets_squares_error_shape(fake):
    sdk, *_ = fake
    made = sdk.customers.create(given_name="Ada").customer
    sdk.customers.update(made.id, family_name="Lovelace", version=0)
    with pytest.raises(ApiError) as stale:
        sdk.customers.update(made.id, family_name="Byron", version=0, request_options=NO_RETRY)
    error = stale.value.errors[0]
    assert stale.value.status_code == 409
    assert (error.category, error.code, error.field) == (
        "INVALID_REQUEST_ERROR",
        "CONFLICT",
        "version",
    )
    assert "version mismatch" in (error.detail or "")
    assert sdk.customers.get(made.id).customer.family_name == "Lovelace", "nothing was written"


def test_paging_through_customers_with_cursor_and_limit(fake):
    sdk, *_ = fake
    ids = {
        sdk.customers.create(given_name=f"P{i:02d}", family_name="Page").customer.id
        for i in range(23)
    }
    seen, cursor, pages = [], None, 0
    while True:
        page = sdk.customers.search(
            limit=10, cursor=cursor, query={"sort": {"field": "CREATED_AT", "order": "ASC"}}
        )
        seen += [c.id for c in page.customers or []]
        pages += 1
        cursor = page.cursor
        if not cursor:
            break
    assert pages == 3
    assert len(seen) == 23
    assert set(seen) == ids
    listed = list(sdk.customers.list(limit=7))  # the SDK's pager follows ListCustomers' cursor
    assert {c.id for c in listed} == ids
    with pytest.raises(ApiError) as too_many:
        sdk.customers.search(limit=101, request_options=NO_RETRY)
    assert too_many.value.errors[0].code == "VALUE_TOO_HIGH"


def test_search_lags_a_new_record_as_documented(fake):
    sdk, state, *_ = fake
    state.search_lag = 30.0
    made = sdk.customers.create(given_name="Late", email_address="late@example.com").customer
    query = {"filter": {"email_address": {"exact": "late@example.com"}}}
    assert sdk.customers.search(query=query).customers is None, "not searchable yet"
    assert sdk.customers.get(made.id).customer.id == made.id, "retrieve is immediate"
    state.clock.offset += __import__("datetime").timedelta(seconds=31)
    assert [c.id for c in sdk.customers.search(query=query).customers] == [made.id]


def test_bulk_create_and_update_answer_per_item(fake):
    sdk, *_ = fake
    created = sdk.customers.batch_create(
        customers={
            "a": {"given_name": "Ann", "email_address": "ann@example.com"},
            "b": {"given_name": "Bad", "email_address": "not-an-email"},
        }
    ).responses
    assert created["a"].customer.given_name == "Ann"
    assert created["b"].errors[0].code == "INVALID_EMAIL_ADDRESS"
    ann = created["a"].customer
    updated = sdk.customers.bulk_update_customers(
        customers={ann.id: {"family_name": "Lee", "version": 0}, "NOPE": {"family_name": "X"}}
    ).responses
    assert updated[ann.id].customer.family_name == "Lee"
    assert updated["NOPE"].errors[0].code == "NOT_FOUND"


def test_groups_segments_and_bookings(fake):
    sdk, state, *_ = fake
    vip = sdk.customers.groups.create(group={"name": "VIP"}).group
    client = sdk.customers.create(given_name="Booked").customer
    sdk.customers.groups.add(customer_id=client.id, group_id=vip.id)
    state.add_segment("Frequent", [client.id])
    got = sdk.customers.get(client.id).customer
    assert got.group_ids == [vip.id]
    assert len(got.segment_ids) == 1
    assert got.version == 1
    assert [g.name for g in sdk.customers.groups.list()] == ["VIP"]
    assert [s.name for s in sdk.customers.segments.list()] == ["Frequent"]
    segment = {
        "team_member_id": "TM1",
        "service_variation_id": "SV1",
        "service_variation_version": 1,
        "duration_minutes": 60,
    }
    booking = sdk.bookings.create(
        idempotency_key="b-1",
        booking={
            "location_id": "L1",
            "start_at": "2030-01-02T10:00:00Z",
            "customer_id": client.id,
            "appointment_segments": [segment],
        },
    ).booking
    assert booking.customer_id == client.id
    assert booking.version == 0
    listed = list(
        sdk.bookings.list(
            customer_id=client.id,
            start_at_min="2030-01-01T00:00:00Z",
            start_at_max="2030-01-30T00:00:00Z",
        )
    )
    assert [b.id for b in listed] == [booking.id]
    with pytest.raises(ApiError) as stale:
        sdk.bookings.update(
            booking_id=booking.id,
            booking={"seller_note": "x", "version": 5},
            request_options=NO_RETRY,
        )
    assert stale.value.status_code == 409


def test_merge_in_square_surfaces_in_events_with_merge_context(fake):
    sdk, state, *_ = fake
    a = state.create_customer(
        {"given_name": "Kim", "email_address": "kim@example.com"}, "DIRECTORY"
    )
    b = state.create_customer(
        {"family_name": "Kim", "phone_number": "+12175550142"}, "APPOINTMENTS"
    )
    merged = state.merge_customers([a["id"], b["id"]])
    assert merged["creation_source"] == "MERGE"
    assert merged["email_address"] == "kim@example.com"
    assert merged["phone_number"]
    events = sdk.events.search_events(
        query={"filter": {"event_types": ["customer.created", "customer.deleted"]}}
    ).events
    kinds = [(e.type, e.data.id) for e in events]
    assert kinds[-3:] == [
        ("customer.created", merged["id"]),
        ("customer.deleted", a["id"]),
        ("customer.deleted", b["id"]),
    ]
    context = events[-3].data.object["event_context"]["merge"]
    assert context == {"from_customer_ids": [a["id"], b["id"]], "to_customer_id": merged["id"]}


def test_errors_auth_rate_limit_and_version_header(fake):
    sdk, _state, _, faults = fake
    wrong = Square(
        token="wrong", base_url=HOST, httpx_client=sdk._client_wrapper.httpx_client.httpx_client
    )
    with pytest.raises(ApiError) as denied:
        wrong.customers.list(request_options=NO_RETRY)
    assert denied.value.status_code == 401
    assert denied.value.errors[0].category == "AUTHENTICATION_ERROR"
    faults.configure(FaultPlan(rules=[FaultRule(kind="429", nth=[1], retry_after=2)]))
    with pytest.raises(ApiError) as limited:
        sdk.customers.search(request_options=NO_RETRY)
    assert limited.value.status_code == 429
    assert limited.value.errors[0].code == "RATE_LIMITED"
    assert limited.value.headers["retry-after"] == "2"
    bad = Square(
        token=TOKEN,
        base_url=HOST,
        httpx_client=sdk._client_wrapper.httpx_client.httpx_client,
        version="20250820",
    )
    with pytest.raises(ApiError) as malformed:
        bad.customers.list(request_options=NO_RETRY)
    assert malformed.value.errors[0].code == "INVALID_SQUARE_VERSION_FORMAT"


def test_validation_catches_a_response_that_breaks_the_spec():
    request = httpx.Request("GET", f"{HOST}/v2/customers/X")
    broken = httpx.Response(
        200, json={"customer": {"id": "X", "version": "three"}}, request=request
    )
    with pytest.raises(ResponseValidationError):
        check(request, broken)
    bad_error = httpx.Response(404, json={"errors": [{"code": "NOPE"}]}, request=request)
    with pytest.raises(jsonschema.ValidationError):
        check(request, bad_error)


STRING = "https://developer-production-s.squarecdn.com/schemas/v1/common.json#squareup.common."


def test_custom_attribute_definitions_and_values_through_the_sdk(fake):
    sdk, state, recorder, _ = fake
    made = sdk.customers.create(given_name="Ada", email_address="ada@example.com").customer
    definitions = sdk.customers.custom_attribute_definitions
    email = definitions.create(
        custom_attribute_definition={
            "key": "backup-email",
            "schema": {"$ref": f"{STRING}Email"},
            "name": "Backup e-mail",
            "description": "Another address",
            "visibility": "VISIBILITY_READ_WRITE_VALUES",
        },
        idempotency_key="def-1",
    ).custom_attribute_definition
    assert (email.key, email.version) == ("backup-email", 1)
    definitions.create(
        custom_attribute_definition={"key": "home", "schema": {"$ref": f"{STRING}Address"}}
    )
    listed = definitions.list(limit=1)
    assert [d.key for d in listed.items] == ["backup-email"]
    assert listed.response.cursor, "a second page"
    values = sdk.customers.custom_attributes
    set_one = values.upsert(
        customer_id=made.id, key="backup-email", custom_attribute={"value": "ada@work.example"}
    ).custom_attribute
    assert (set_one.value, set_one.version, set_one.visibility) == (
        "ada@work.example",
        1,
        "VISIBILITY_READ_WRITE_VALUES",
    )
    bulk = definitions.batch_upsert(
        values={
            "a": {
                "customer_id": made.id,
                "custom_attribute": {"key": "home", "value": {"address_line_1": "1 Elm St"}},
            },
            "b": {
                "customer_id": made.id,
                "custom_attribute": {"key": "backup-email", "value": "not an address"},
            },
        }
    )
    assert bulk.values["a"].custom_attribute.value == {"address_line_1": "1 Elm St"}
    assert bulk.values["b"].errors[0].code == "INVALID_VALUE", "checked against its type"
    shown = values.list(customer_id=made.id, with_definitions=True)
    assert {a.key: a.value for a in shown.items} == {
        "backup-email": "ada@work.example",
        "home": {"address_line_1": "1 Elm St"},
    }
    assert shown.items[0].definition.name == "Backup e-mail"
    assert values.get(customer_id=made.id, key="home").custom_attribute.version == 1
    with pytest.raises(ApiError) as unknown:
        values.upsert(
            customer_id=made.id,
            key="nope",
            custom_attribute={"value": "x"},
            request_options=NO_RETRY,
        )
    assert unknown.value.status_code == 404
    with pytest.raises(ApiError) as taken:
        definitions.create(
            custom_attribute_definition={"key": "home", "schema": {"$ref": f"{STRING}String"}},
            request_options=NO_RETRY,
        )
    assert taken.value.status_code == 409
    with pytest.raises(ApiError) as unnamed:
        definitions.create(
            custom_attribute_definition={
                "key": "shown",
                "schema": {"$ref": f"{STRING}String"},
                "visibility": "VISIBILITY_READ_ONLY",
            },
            request_options=NO_RETRY,
        )
    assert unnamed.value.errors[0].field == "custom_attribute_definition.name"
    values.delete(customer_id=made.id, key="home")
    assert state.custom_attributes(made.id) == {"backup-email": "ada@work.example"}
    sdk.customers.delete(made.id)
    assert state.attributes.values == {}, "a deleted customer's values go with it"
    definitions.delete(key="home")
    assert [d["key"] for d in state.attributes.listed_definitions()] == ["backup-email"]
    assert "/v2/customers/custom-attributes/bulk-upsert" in {
        q.url.path for q, _ in recorder.exchanges
    }
