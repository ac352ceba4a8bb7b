"""Reading an Edge customer: the canonical record, and the one-line error of a bad one (G-5).

The mapping validates a customer once, contact methods included, and reads a bad one again
to name its first fault in reading order: these tests pin what that error says.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from framework.models import Address, Customer, Email, Phone
from plugins.edge.mapping import to_customer


def _email(address: Any, key: str = "Home") -> dict[str, Any]:
    return {"Key": key, "PairValue": {"EmailEmail": address, "EmailType": key}}


def _phone(number: Any, key: str = "Cell", **more: Any) -> dict[str, Any]:
    return {"Key": key, "PairValue": {"PhonePhone": number, "PhoneType": key, **more}}


def test_a_customer_reads_with_its_contact_methods_and_custom_fields() -> None:
    value = {
        "CustomerFirstName": " Ann ",
        "CustomerLastName": "Lee",
        "CustomerGender": "F",
        "CustomerBirthDate": "02/01/1990 00:00:00",
        "CustomerXfer": True,
        "CustomerKey1": 7.5,
        "CustomerKey2": "  ",
        "CustomerPrefEMail": "Work",
        "CustomerPrefPhone": "Cell",
        "Emails": [_email("ann@example.com"), _email(" ann@work.example.com ", "Work")],
        "Phones": [_phone("(303) 555-0100", PhonePhoneExt="", PhoneDoNotContact=True)],
        "Addresses": [
            {"Key": "Home", "PairValue": {"AddressCity": "Portland", "AddressZip": 97262}}
        ],
    }
    assert to_customer(value, "US") == Customer(
        first_name="Ann",
        last_name="Lee",
        gender="F",
        birth_date="1990-02-01",  # type: ignore[arg-type]
        sync_flag=True,
        custom={"CustomerKey1": "7.5"},
        emails=[
            Email(address="ann@example.com", label="Home", preferred=False, promo=None),
            Email(address="ann@work.example.com", label="Work", preferred=True, promo=None),
        ],
        phones=[Phone(number="+13035550100", label="Cell", preferred=True, do_not_contact=True)],
        addresses=[Address(city="Portland", postal_code="97262", preferred=False)],
    )


BAD: list[tuple[str, dict[str, Any], str]] = [
    (
        "an invalid e-mail in the second contact object",
        {"Emails": [_email("a@example.com"), _email("two@@example.com", "Work")]},
        "Emails[1]: address: invalid e-mail address 'two@@example.com'",
    ),
    (
        "an impossible phone number",
        {"Phones": [_phone("12")]},
        "Phones[0]: invalid phone number '12': not a possible number in US",
    ),
    (
        "an extension too long",
        {"Phones": [_phone("3035550100", PhonePhoneExt="1" * 30)]},
        "Phones[0]: extension: String should have at most 20 characters",
    ),
    (
        "a city as a list",
        {"Addresses": [{"Key": "Home", "PairValue": {"AddressCity": ["x"]}}]},
        "Addresses[0].AddressCity: expected text, got list ['x']",
    ),
    (
        "a promo flag as text",
        {"Emails": [{"Key": "Home", "PairValue": {"EmailEmail": "a@b.co", "EmailSendPromo": 1}}]},
        "Emails[0].EmailSendPromo: expected true or false, got 1",
    ),
    (
        # The e-mail is read first: its fault is named, not the phone's after it.
        "a bad e-mail and a phone as an object",
        {"Emails": [_email("not-an-email@")], "Phones": [_phone({"n": 1})]},
        "Emails[0]: address: invalid e-mail address 'not-an-email@'",
    ),
    (
        "a bad phone number and a bad custom field",
        {"Phones": [_phone("call me")], "CustomerKey1": {"size": 7}},
        "Phones[0]: invalid phone number 'call me'",
    ),
]


@pytest.mark.rule("G-5")
@pytest.mark.parametrize(("value", "error"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_customer_is_refused_naming_its_first_fault(
    value: dict[str, Any], error: str
) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(error)) as refused:
        to_customer(value, "US")
    assert "\n" not in str(refused.value)
