"""Normalising match keys and contact values (G-3): case, whitespace, phone formats.

Built on email-validator and phonenumbers rather than hand-written patterns.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_NAME_FIELDS = ("first_name", "middle_name", "last_name", "company")
# Plain ASCII addresses, a strict subset of what email-validator accepts: checked here in a
# microsecond; anything else (unicode, quoted parts, odd dots) goes to email-validator.
_PLAIN_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)


@lru_cache(maxsize=65536)
def email_key(raw: str) -> str:
    """Return the matching key of an e-mail address: trimmed and lower-cased.

    Raises:
        ValueError: the text is not an e-mail address; the message says why.
    """
    text = raw.strip()
    lowered = text.lower()
    if len(lowered) <= 254 and _PLAIN_EMAIL.match(lowered) and len(lowered.split("@")[0]) <= 64:
        return lowered
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"invalid e-mail address {text!r}: {exc}") from None
    return checked.normalized.lower()


def phone_e164(raw: str, region: str = "US") -> str:
    """Return a phone number in E.164 form (``+12175550142``).

    ``region`` is the ISO country used when the number has no ``+`` prefix.

    Raises:
        ValueError: the text is not a possible phone number.
    """
    text = raw.strip()
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"invalid phone number {text!r}: {exc}") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"invalid phone number {text!r}: not a possible number in {region}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def text_key(raw: str) -> str:
    """Return a whitespace- and case-folded key for free text (names, streets)."""
    # Each run of whitespace (str.isspace, as a regex \s matches) becomes one space.
    return " ".join(unicodedata.normalize("NFKC", raw).casefold().split())


def record_name(data: dict[str, Any]) -> str:
    """How people read a record's name: first, middle and last name, company (SQ-3)."""
    return " ".join([str(p) for p in map(data.get, _NAME_FIELDS) if p])


def name_key(data: dict[str, Any] | None) -> str | None:
    """The folded name a look-up by name searches (``None``: no record to search).

    The state store keeps it beside each record, so a search by part of a name reads an
    index of short keys instead of every stored record (SQ-3).
    """
    return None if not data else text_key(record_name(data))
