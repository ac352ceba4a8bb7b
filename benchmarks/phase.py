"""One measured phase, in a fresh Python process of its own, so its peak memory is its own.

``python -m benchmarks.phase JOB.json RESULT.json``: JOB says what to run, an engine run of
the store's pair or a replay of a recording (the floor); RESULT receives the time, the
engine's report and the process's peak resident memory (``ru_maxrss``, which is the peak of
this process alone: it was started fresh, not forked from the runner).
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from benchmarks.floor import RecordingTransport, replay
from benchmarks.server import API_KEY, ROOT, clientbook
from fakes.clientbook import make_app
from fakes.toolkit import SyncASGITransport
from framework.config import parse_config
from framework.engine.engine import Engine, fewer_collections

IN_PROCESS_URL = "http://clientbook.bench"


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB.

    Linux's ``VmHWM``: the peak of this program's own memory. ``ru_maxrss`` is not: it keeps
    the peak of the process before ``exec``, which a spawned child shares with its parent,
    so every phase would report at least the runner's memory (measured: 102 MB for a run
    that reads nothing).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def engine_config(
    work: Path,
    state: str,
    edge_folder: Path,
    clientbook_url: str,
    rate_limit: int | None = None,
    in_flight: int | None = None,
) -> dict[str, Any]:
    """The store's configuration: Edge <-> Clientbook with the preset, custom fields mapped."""
    clientbook_system: dict[str, Any] = {
        "connector": "clientbook",
        "base_url": clientbook_url,
        "api_key": API_KEY,
    }
    if rate_limit:
        clientbook_system["rate_limit_per_minute"] = rate_limit
    if in_flight is not None:
        clientbook_system["in_flight"] = in_flight
    return {
        "state": {"path": str(work / state)},
        "systems": {
            "edge": {
                "connector": "edge",
                "folder": str(edge_folder),
                "store_license_id": "1001",
                "settle_seconds": 0,
            },
            "clientbook": clientbook_system,
        },
        "pairs": {
            "store": {
                "preset": "edge-clientbook",
                "pos": "edge",
                "platform": "clientbook",
                "default_associate": "1",
                "flows": {
                    "customer": {
                        "fields": {
                            "custom": {
                                "map": {"CustomerKey1": "Ring size", "CustomerKey2": "Metal"}
                            }
                        }
                    }
                },
            }
        },
    }


class GcTimer:
    """How long Python's cyclic garbage collector ran while the block ran."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections[info["generation"]] += 1

    def __enter__(self) -> None:
        gc.callbacks.append(self._callback)

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


def run_engine(job: dict[str, Any]) -> dict[str, Any]:
    """One engine run of the pair ``store``."""
    started = time.perf_counter()
    config, hooks = parse_config(job["config"], source="bench", base_dir=Path(job["work"]))
    transport: httpx.BaseTransport | None = None
    if job.get("in_process"):
        transport = SyncASGITransport(make_app(clientbook()))
    if job.get("record"):
        transport = RecordingTransport(transport or httpx.HTTPTransport(), Path(job["record"]))
    engine = Engine(config, hooks, transports={"clientbook": transport} if transport else None)
    setup = time.perf_counter() - started
    rss_before = peak_rss_mb()
    profiler = _profiler(job)
    collector = GcTimer()
    start = time.perf_counter()
    try:
        with collector:
            report = engine.run_pair("store")
    finally:
        seconds = time.perf_counter() - start
        if profiler is not None:
            profiler.stop()
        engine.close()
    if profiler is not None:
        _write_profile(profiler, Path(job["profile"]))
    return {
        "seconds": seconds,
        "setup_seconds": setup,
        "counts": dict(report.counts),
        "calls": dict(report.calls),
        "errors": report.errors,
        "gc_seconds": collector.seconds,
        "gc_collections": collector.collections,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_floor(job: dict[str, Any]) -> dict[str, Any]:
    """Replay a recording to a fresh fake: over HTTP to ``url``, or in-process."""
    if job.get("url"):
        client = httpx.Client(base_url=job["url"], timeout=60)  # pool of 100: enough
    else:
        transport = SyncASGITransport(make_app(clientbook()))
        client = httpx.Client(base_url=IN_PROCESS_URL, transport=transport, timeout=60)
    with client, fewer_collections():  # as the engine's run does: same client, same fake
        result = replay(Path(job["recording"]), client, job.get("in_flight", 1))
    return {
        "seconds": result.seconds,
        "requests": result.requests,
        "bytes_sent": result.bytes_sent,
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "peak_rss_mb": peak_rss_mb(),
    }


def _profiler(job: dict[str, Any]) -> Any:
    if not job.get("profile"):
        return None
    from pyinstrument import Profiler  # the bench extra; only asked for with --profile

    profiler = Profiler(interval=0.001)
    profiler.start()
    return profiler


def _write_profile(profiler: Any, path: Path) -> None:
    """The profile as text; as JSON, the time spent in each function itself and in each
    part of the code (a package, a built-in's library, a folder of ours)."""
    path.write_text(profiler.output_text(unicode=False, color=False))
    own: Counter[str] = Counter()
    parts: Counter[str] = Counter()

    def walk(frame: Any) -> None:
        if frame is None:
            return
        if not frame.is_synthetic:
            own[f"{frame.function} {frame.file_path_short}:{frame.line_no}"] += (
                frame.total_self_time
            )
            parts[part_of(frame.function, frame.file_path or "")] += frame.total_self_time
        for child in frame.children:
            walk(child)

    walk(profiler.last_session.root_frame())
    total = profiler.last_session.duration

    def share(counter: Counter[str], n: int) -> list[dict[str, Any]]:
        return [{"where": k, "seconds": v, "share": v / total} for k, v in counter.most_common(n)]

    path.with_suffix(".json").write_text(
        json.dumps({"seconds": total, "top": share(own, 25), "parts": share(parts, 20)}, indent=1)
    )


BUILT_INS = {
    "Connection.execute": "sqlite3",
    "Connection.executemany": "sqlite3",
    "loads": "orjson/json",
    "dumps": "orjson/json",
    "SchemaValidator.validate_python": "pydantic",
    "SchemaSerializer.to_python": "pydantic",
    "socket.recv": "socket (waiting for the fake)",
    "socket.send": "socket",
    "socket.sendall": "socket",
}


def part_of(function: str, file_path: str) -> str:
    """Which part of the code a function belongs to, for a profile's summary."""
    if "site-packages/" in file_path:
        return file_path.split("site-packages/")[1].split("/")[0]
    if file_path.startswith("<built-in>") or not file_path:
        return BUILT_INS.get(function, "other built-ins")
    root = str(ROOT) + "/"
    if file_path.startswith(root):
        return "/".join(file_path[len(root) :].split("/")[:2])
    return "stdlib " + Path(file_path).stem


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    result = run_engine(job) if job["kind"] == "engine" else run_floor(job)
    Path(sys.argv[2]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
