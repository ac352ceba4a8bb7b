"""The floor: the engine's own requests, replayed with plain httpx and nothing else.

While the engine runs, :class:`RecordingTransport` (under the engine's metered client) writes
each request it sends to a file: method, path and query, headers, body, and the status the
fake answered. The floor sends the same requests, in the same order, with the same number in
flight as the engine was allowed (:func:`replay`), to a fresh fake in the same starting
state, so the fake does the same work and answers the same statuses. What the engine needs
beyond that time is ours.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
        self._lock = threading.Lock()  # the engine may have several requests in flight

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request and write it down."""
        response = self.inner.handle_request(request)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _OWN]
        target = request.url.raw_path.decode("ascii")
        record: Recorded = (request.method, target, headers, request.content, response.status_code)
        data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._file.write(data)
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
    cpu_seconds: float = 0.0
    """The replaying process's CPU (every thread): the floor's client side."""
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


def replay(path: Path, client: httpx.Client, in_flight: int = 1) -> Replay:
    """Send the recorded requests through ``client``, ``in_flight`` at a time; time only that.

    One at a time, they go one after the other. With more, ``in_flight`` threads share the
    client (as the engine's writers do) and take the requests in their recorded order, so
    at most that many are on the wire at once and none waits for anything but a free
    thread: the floor has no order to keep, the engine does (a record's writes, a child
    after its parent), so this is the best any client could do with that many in flight.
    """
    requests = list(recorded(path))  # read before the clock starts
    out = Replay()

    def send(request: Recorded) -> int:
        method, target, headers, content, _ = request
        return client.request(method, target, headers=headers, content=content).status_code

    start, cpu = time.perf_counter(), time.process_time()
    if in_flight <= 1:
        statuses = [send(r) for r in requests]
    else:
        with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="floor") as pool:
            statuses = list(pool.map(send, requests))
    out.seconds = time.perf_counter() - start
    out.cpu_seconds = time.process_time() - cpu
    out.statuses.update(statuses)
    out.requests = len(requests)
    out.bytes_sent = sum(len(r[3]) for r in requests)
    return out
