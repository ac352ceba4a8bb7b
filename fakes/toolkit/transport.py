"""A synchronous httpx transport that serves requests from an ASGI app in-process.

httpx's own ``ASGITransport`` is async-only, and the engine uses the synchronous client
(measured faster here: ~4,000 req/s in-process). This transport runs the app on a private
event loop per transport, honours the request's read timeout (a slow fake times out like a
slow server) and turns a dropped connection into the error httpx raises for one. Requests
sent from several threads at once (the engine's writes in flight) are served one at a time:
one event loop serves one at a time anyway, and the fake is a single process.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx


class DropConnection(Exception):
    """Raised by a fake to drop the connection without an answer."""


class SyncASGITransport(httpx.BaseTransport):
    """Serve ``httpx.Client`` requests from an ASGI ``app`` without a network."""

    def __init__(self, app: Any):
        self._asgi = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Serve one request."""
        request.read()
        timeout = (request.extensions.get("timeout") or {}).get("read")

        async def serve() -> tuple[int, httpx.Headers, bytes]:
            response = await self._asgi.handle_async_request(request)
            body = await response.aread()
            return response.status_code, response.headers, body

        try:
            with self._lock:
                status, headers, body = self._loop.run_until_complete(
                    asyncio.wait_for(serve(), timeout)
                )
        except TimeoutError:
            raise httpx.ReadTimeout("the fake did not answer in time", request=request) from None
        except DropConnection:
            raise httpx.RemoteProtocolError(
                "server disconnected without sending a response", request=request
            ) from None
        headers = httpx.Headers(
            [(k, v) for k, v in headers.multi_items() if k.lower() != "content-encoding"]
        )
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        """Close the private event loop."""
        with self._lock:
            if not self._loop.is_closed():
                self._loop.close()
