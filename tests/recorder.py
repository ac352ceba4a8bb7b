"""A transport that keeps every exchange, so tests can count calls and check them against a spec."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx


@dataclass
class Recorder(httpx.BaseTransport):
    """Passes requests to ``inner`` and keeps every exchange (request, response)."""

    inner: httpx.BaseTransport
    exchanges: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.exchanges.append((request, response))
        return response

    def close(self) -> None:
        self.inner.close()
