"""The floor: the engine's own requests, replayed with plain httpx and nothing else.

While the engine runs, :class:`RecordingTransport` (under the engine's metered client) writes
each request it sends to a file: method, path and query, headers, body, and the status the
fake answered. The floor sends the same requests, in the same order, at the same concurrency
(one at a time: the engine's client is synchronous), to a fresh fake in the same starting
state, so the fake does the same work and answers the same statuses. What the engine needs
beyond that time is ours.
"""

from __future__ import annotations

import pickle
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

# Headers httpx sets by itself for the body it sends.
_OWN = frozenset({"host", "content-length", "transfer-encoding"})

Recorded = tuple[str, str, list[tuple[str, str]], bytes, int]


class RecordingTransport(httpx.BaseTransport):
    """Wraps a transport and appends every request and its answer's status to ``path``."""

    def __init__(self, inner: httpx.BaseTransport, path: Path):
        self.inner = inner
        self._file: IO[bytes] = path.open("wb")

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request and write it down."""
        response = self.inner.handle_request(request)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _OWN]
        target = request.url.raw_path.decode("ascii")
        record: Recorded = (request.method, target, headers, request.content, response.status_code)
        pickle.dump(record, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        return response

    def close(self) -> None:
        """Close the file and the wrapped transport."""
        self._file.close()
        self.inner.close()


def recorded(path: Path) -> Iterator[Recorded]:
    """The requests a recording holds, in order."""
    with path.open("rb") as f:
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return


@dataclass
class Replay:
    """What sending the recorded requests took."""

    seconds: float = 0.0
    requests: int = 0
    bytes_sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)


def summary(path: Path) -> Replay:
    """The recorded requests' count, bytes and statuses (what the engine sent)."""
    out = Replay()
    for _, _, _, content, status in recorded(path):
        out.requests += 1
        out.bytes_sent += len(content)
        out.statuses[status] += 1
    return out


def replay(path: Path, client: httpx.Client) -> Replay:
    """Send the recorded requests one after the other through ``client``; time only that."""
    requests = list(recorded(path))  # read before the clock starts
    out = Replay()
    start = time.perf_counter()
    for method, target, headers, content, _ in requests:
        response = client.request(method, target, headers=headers, content=content)
        out.statuses[response.status_code] += 1
    out.seconds = time.perf_counter() - start
    out.requests = len(requests)
    out.bytes_sent = sum(len(r[3]) for r in requests)
    return out
