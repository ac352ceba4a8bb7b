"""What every part of the fake Square shares: Square's error shape and its value formats."""

from __future__ import annotations

import re
from typing import Any

ADDRESS_FIELDS = (
    "address_line_1",
    "address_line_2",
    "address_line_3",
    "locality",
    "sublocality",
    "administrative_district_level_1",
    "administrative_district_level_2",
    "postal_code",
    "country",
    "first_name",
    "last_name",
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[\d\s().-]+$")


class SquareError(Exception):
    """A refusal in Square's shape: status, category, code, detail, field."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        field: str | None = None,
        category: str = "INVALID_REQUEST_ERROR",
    ):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        self.category = category

    def body(self) -> dict[str, Any]:
        """The error as Square answers it."""
        error: dict[str, Any] = {"category": self.category, "code": self.code}
        error["detail"] = self.detail
        if self.field:
            error["field"] = self.field
        return {"errors": [error]}


def digits(phone: str) -> str:
    """The digits of a phone number."""
    return re.sub(r"\D", "", phone)
