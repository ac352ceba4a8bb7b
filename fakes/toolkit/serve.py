"""Serving a fake on 127.0.0.1 with uvicorn: in the foreground (CLI) or a thread (demo, tests)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BackgroundServer:
    """A uvicorn server in a daemon thread; ``url`` once started."""

    def __init__(self, app: Any, port: int | None = None, date_header: bool = True):
        self.port = port or free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            date_header=date_header,  # off for a fake that sends its own clock's Date
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        """The base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        """Start and wait until the server accepts connections."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"fake server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop the server."""
        self.server.should_exit = True
        self.thread.join(timeout=5)


def serve_forever(app: Any, port: int, date_header: bool = True) -> None:
    """Serve ``app`` on 127.0.0.1:``port`` until interrupted."""
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="info",
        lifespan="off",
        date_header=date_header,
    )
