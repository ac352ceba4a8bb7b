"""Podium's error shape: ``{code, message, moreInfo}`` with string codes (docs/podium-api.md)."""

from __future__ import annotations

from typing import Any

import orjson

MORE_INFO = "https://docs.podium.com/docs/errors"
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "rate_limit",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
}


class PodiumError(Exception):
    """A refusal as Podium answers it: a status and ``{code, message, moreInfo}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        """The error body."""
        return {
            "code": CODES.get(self.status, "error"),
            "message": self.message,
            "moreInfo": MORE_INFO,
        }


def bad_request(message: str) -> PodiumError:
    """A 400 naming what is wrong."""
    return PodiumError(400, message)


def injected_error(status: int) -> bytes:
    """The body of a fault the toolkit injects (429, 5xx), in Podium's shape."""
    message = "Rate limit exceeded" if status == 429 else "injected fault"
    return orjson.dumps(PodiumError(status, message).body())
