"""IS-7: the login of a shop account the bridge creates: automatic, or from a pattern.

Automatic logins are made from the F/K code (``K/0042`` -> ``k-0042``), which is unique in
the F/K program. A pattern (``{first_name}.{last_name}``, ``{email_user}``, ``{code}``…) is
filled from the customer and folded to what IdoSell accepts (``docs/idosell-api.md``). When
the shop answers "login in use" (faultCode 3) the next candidate adds ``-2``, ``-3``… up to
``-9``.
"""

from __future__ import annotations

from framework.models import Customer, WriteRequest
from plugins.idosell.mapping import login_slug

PLACEHOLDERS = ("code", "first_name", "last_name", "company", "email", "email_user", "tax_id")
MAX_SUFFIX = 9


def automatic(request: WriteRequest) -> str:
    """The login made from the F/K code (or, lacking one, the idempotency key)."""
    base = login_slug(request.link_key or "")
    if len(base) < 3:
        base = login_slug(f"fk-{request.link_key or request.idempotency_key[-12:]}")
    return base


def from_pattern(pattern: str, request: WriteRequest) -> str:
    """The pattern filled from the customer; automatic when it comes out too short.

    Raises:
        ValueError: the pattern names an unknown placeholder.
    """
    customer = request.record
    assert isinstance(customer, Customer)
    email = customer.preferred("emails")
    values = {
        "code": request.link_key or "",
        "first_name": customer.first_name or "",
        "last_name": customer.last_name or "",
        "company": customer.company or "",
        "email": email.address if email else "",
        "email_user": email.address.split("@")[0] if email else "",
        "tax_id": customer.tax_id or "",
    }
    try:
        filled = pattern.format(**values)
    except KeyError as exc:
        raise ValueError(
            f"login_pattern names {exc.args[0]!r}; known: {', '.join(PLACEHOLDERS)}"
        ) from None
    slug = login_slug(filled)
    return slug if len(slug) >= 3 else automatic(request)


class LoginMaker:
    """The login candidates of one new account, in order."""

    def __init__(self, pattern: str | None, request: WriteRequest):
        self.base = from_pattern(pattern, request) if pattern else automatic(request)
        self.suffix = 1
        self.current = self.base

    def advance(self) -> bool:
        """Move to the next candidate; ``False`` when there is none left."""
        if self.suffix >= MAX_SUFFIX:
            return False
        self.suffix += 1
        self.current = f"{self.base[:60]}-{self.suffix}"
        return True
