"""The fake Clientbook served by uvicorn in a process of its own, so its CPU is not ours.

``python -m benchmarks.server PORT [--rate-limit REQUESTS/SECONDS] [--latency SECONDS]`` serves
an empty Clientbook (its two associates only) on 127.0.0.1:PORT, with a rate limit when one is
given, and answering each request after a delay when one is given (a real platform's round
trip, see :class:`Latency`). Access logging is off: printing a line per request would cost the
fake more than answering it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from fakes.clientbook import ClientbookState, make_app
from fakes.toolkit import FaultPlan, FaultState, RateLimit, free_port

API_KEY = "bench-clientbook-key"
ROOT = Path(__file__).resolve().parent.parent


def clientbook() -> ClientbookState:
    """An empty Clientbook with the associates of the tests and demos."""
    state = ClientbookState(api_key=API_KEY)
    state.add_associate("as_12", "Maria Lopez", "12")
    state.add_associate("as_77", "Sam Carter", None)
    return state


def fault_plan(rate_limit: str | None) -> FaultPlan:
    """No faults; a rate limit ``REQUESTS/SECONDS`` when given."""
    if not rate_limit:
        return FaultPlan()
    requests, _, window = rate_limit.partition("/")
    return FaultPlan(rate_limit=RateLimit(requests=int(requests), window=float(window or 60)))


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
    """A fake Clientbook in a child process; ``url`` once started, ``stop()`` to end it."""

    def __init__(self, rate_limit: str | None = None, latency: float = 0.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "benchmarks.server", str(self.port)]
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
                raise RuntimeError(f"the fake Clientbook on port {self.port} exited")
            try:
                if httpx.get(f"{self.url}/_fake/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the fake Clientbook on port {self.port} did not start")

    def faults(self) -> dict[str, int]:
        """The fake's counters: ``calls`` let through, ``rate_limited`` answered 429."""
        summary: dict[str, int] = httpx.get(f"{self.url}/_fake/faults", timeout=10).json()
        return summary

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
    parser.add_argument("--rate-limit", help="REQUESTS/SECONDS")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    app: Any = make_app(clientbook(), FaultState(fault_plan(args.rate_limit)))
    if args.latency > 0:
        app = Latency(app, args.latency)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
