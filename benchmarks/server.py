"""A pair's fake platform served by uvicorn in a process of its own, so its CPU is not ours.

``python -m benchmarks.server PORT [--pair NAME] [--rate-limit REQUESTS/SECONDS] [--latency
SECONDS]`` serves the pair's empty fake platform (``pairs.py``; Clientbook by default, with
its two associates only) on 127.0.0.1:PORT, with a rate limit when one is given, and
answering each request after a delay when one is given (a real platform's round trip, see
:class:`Latency`). Access logging is off: printing a line per request would cost the
fake more than answering it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from benchmarks.pairs import API_KEY, fault_plan, pair_named
from fakes.toolkit import free_port

ROOT = Path(__file__).resolve().parent.parent
__all__ = ["API_KEY", "ROOT", "FakeServer", "Latency", "fault_plan"]


# A platform's round trip varies: each answer waits the latency times a factor drawn evenly
# from [1 - JITTER, 1 + JITTER].
JITTER = 0.2


class Latency:
    """ASGI middleware: every answer of the API waits ``seconds`` (with :data:`JITTER`) first.

    The wait is an ``asyncio.sleep``, so requests in flight wait together, as they would on
    a real platform's servers; the fake's own work is unchanged. ``/_fake/`` (the
    benchmark's counters and health check) answers at once. Seeded: two runs draw the same
    delays for the same order of requests.
    """

    def __init__(self, app: Any, seconds: float, seed: int = 17):
        self.app = app
        self.seconds = seconds
        self.random = random.Random(seed)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_fake/"):
            await asyncio.sleep(self.seconds * self.random.uniform(1 - JITTER, 1 + JITTER))
        await self.app(scope, receive, send)


class FakeServer:
    """A pair's fake platform in a child process; ``url`` once started, ``stop()`` to end it."""

    def __init__(
        self, rate_limit: str | None = None, latency: float = 0.0, pair: str = "edge-clientbook"
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "benchmarks.server", str(self.port), "--pair", pair]
        if rate_limit:
            args += ["--rate-limit", rate_limit]
        if latency:
            args += ["--latency", str(latency)]
        self.process = subprocess.Popen(args, cwd=ROOT)
        self._wait()

    def _wait(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the fake platform on port {self.port} exited")
            try:
                if httpx.get(f"{self.url}/_fake/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the fake platform on port {self.port} did not start")

    def faults(self) -> dict[str, int]:
        """The fake's counters: ``calls`` let through, ``rate_limited`` answered 429."""
        summary: dict[str, int] = httpx.get(f"{self.url}/_fake/faults", timeout=10).json()
        return summary

    def cpu_seconds(self) -> float:
        """The server process's CPU so far (user and system, every thread), from ``/proc``."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """End the server process."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    # The fake stands for a platform that keeps up: with every record of a big upload in its
    # memory, Python's default collector made it 10% slower (100k customers, the floor
    # 74 s -> 67 s), which would flatter the engine by slowing the floor.
    gc.set_threshold(100_000, 50, 100)
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server")
    parser.add_argument("port", type=int)
    parser.add_argument("--pair", default="edge-clientbook", help="whose fake platform")
    parser.add_argument("--rate-limit", help="REQUESTS/SECONDS")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    pair = pair_named(args.pair)
    app: Any = pair.make_app(args.rate_limit)
    if args.latency > 0:
        app = Latency(app, args.latency)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        date_header=not pair.own_date_header,
    )


if __name__ == "__main__":
    main()
