"""A change's record holds no control characters, wherever its text is (G-5).

The check walks a record's models, lists and dicts (keys too) for text; these tests put one
control character in each kind of place and expect the change refused, naming the place,
and the same record with ordinary text (tab and line feed included) accepted.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from framework.models import Address, Change, Customer, Email, Phone


def _customer(text: str) -> dict[str, Customer]:
    """The same control-free customer with ``text`` put in each place text can be."""
    email = Email(address="ann@example.com", label="Home")
    home = Address(street1="1 Main St", city="Portland")
    return {
        "first_name": Customer(first_name=f"Ann{text}"),
        "emails[1].label": Customer(emails=[email, Email(address="b@example.com", label=text)]),
        "phones[0].extension": Customer(phones=[Phone(number="+13035550000", extension=text)]),
        "addresses[1].city": Customer(addresses=[home, Address(street1="2 Elm", city=text)]),
        "custom.Ring size": Customer(custom={"Ring size": f"7{text}"}),
        "custom key": Customer(custom={f"Ring{text}": "7"}),
        "shops[1]": Customer(shops=["main", text]),
        "groups[0]": Customer(groups=[text, "vip"]),
    }


@pytest.mark.rule("G-5")
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f"])
def test_a_control_character_anywhere_in_a_record_refuses_its_change(char: str) -> None:
    for where, record in _customer(char).items():
        with pytest.raises(ValidationError) as refused:
            Change(entity="customer", id="c1", record=record)
        assert f"{where}: contains a control character (U+{ord(char):04X})" in str(refused.value)


@pytest.mark.rule("G-5")
def test_ordinary_text_in_every_place_is_accepted() -> None:
    for record in _customer("\tnew\nline é 💍").values():
        assert Change(entity="customer", id="c1", record=record).record == record
    for record in _customer("").values():
        assert Change(entity="customer", id="c1", record=record).record == record
