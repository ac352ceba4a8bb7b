"""One measured phase, in a fresh Python process of its own, so its peak memory is its own.

``python -m benchmarks.phase JOB.json RESULT.json``: JOB says what to run, an engine run of
the store's pair (``pair``, ``pairs.py``) or a replay of a recording (the floor); RESULT
receives the time, the engine's report and the process's peak resident memory (``VmHWM``,
the peak of this process alone: it was started fresh, not forked from the runner).
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
from benchmarks.pairs import pair_named
from benchmarks.server import ROOT
from benchmarks.sqlstats import StatementTimer
from fakes.toolkit import SyncASGITransport
from framework.config import parse_config
from framework.engine import read_ahead
from framework.engine.engine import Engine, fewer_collections

IN_PROCESS_URL = "http://platform.bench"


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
    store: Path,
    platform_url: str,
    rate_limit: int | None = None,
    in_flight: int | None = None,
    pair: str = "edge-clientbook",
) -> dict[str, Any]:
    """The configuration of ``pair`` (``pairs.py``) between a copy of the store (``store``:
    an EDT folder or an F/K database) and its fake platform at ``platform_url``."""
    bundled = pair_named(pair)
    platform = bundled.make_system(platform_url)
    if rate_limit:
        platform["rate_limit_per_minute"] = rate_limit
    if in_flight is not None:
        platform["in_flight"] = in_flight
    return {
        "state": {"path": str(work / state)},
        "systems": {bundled.pos: bundled.store_config(store), bundled.platform: platform},
        "pairs": {
            "store": {
                "preset": bundled.name,
                "pos": bundled.pos,
                "platform": bundled.platform,
                "default_associate": "1",
                "flows": bundled.flows,
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


MAX_RUNS = 4


def run_engine(job: dict[str, Any]) -> dict[str, Any]:
    """One engine run of the pair ``store``; with ``until_settled``, runs until nothing is
    deferred (at most :data:`MAX_RUNS`), timed together.

    A platform that queues its creates (Podium answers 202; the contact's uid is known once it
    shows in the contacts feed) gets a record's children in the next run: its upload is done
    when they are, so its figures include reading the feed back.
    """
    started = time.perf_counter()
    pair = pair_named(job.get("pair", "edge-clientbook"))
    config, hooks = parse_config(job["config"], source="bench", base_dir=Path(job["work"]))
    transport: httpx.BaseTransport | None = None
    if job.get("in_process"):
        transport = SyncASGITransport(pair.make_app(None))
    if job.get("record"):
        transport = RecordingTransport(transport or httpx.HTTPTransport(), Path(job["record"]))
    statements = StatementTimer() if job.get("profile") else None
    if statements is not None:
        statements.install()  # before the engine opens its store
    engine = Engine(config, hooks, transports={pair.platform: transport} if transport else None)
    setup = time.perf_counter() - started
    rss_before = peak_rss_mb()
    profiler = _profiler(job)
    collector = GcTimer()
    start, cpu, main_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    reports = []
    try:
        with collector:
            while True:
                reports.append(engine.run_pair("store"))
                left = deferred(reports[-1].counts)
                if not (job.get("until_settled") and left and len(reports) < MAX_RUNS):
                    break
                if len(reports) > 1 and left >= deferred(reports[-2].counts):
                    break  # no progress: what is left stays deferred (reported)
    finally:
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu  # every thread of the engine's process
        main_cpu = time.thread_time() - main_cpu  # this one: reading, reconciling, settling
        if profiler is not None:
            profiler.stop()
        engine.close()
    if profiler is not None:
        _write_profile(profiler, Path(job["profile"]))
    counts: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    for report in reports:
        counts.update(report.counts)
        calls.update(report.calls)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "main_thread_cpu_seconds": main_cpu,
        "setup_seconds": setup,
        "runs": len(reports),
        "counts": dict(counts),
        "deferred": deferred(reports[-1].counts) if reports else 0,
        "calls": dict(calls),
        "errors": [e for report in reports for e in report.errors],
        "gc_seconds": collector.seconds,
        "gc_collections": collector.collections,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
        "read_ahead_rss_mb": read_ahead.PEAK_RSS_MB,
        **({"sql": statements.top()} if statements is not None else {}),
    }


def deferred(counts: Any) -> int:
    """Records a run left for a later one (a parent's id not known yet)."""
    return sum(n for k, n in counts.items() if k.endswith(".deferred"))


def run_floor(job: dict[str, Any]) -> dict[str, Any]:
    """Replay a recording to a fresh fake: over HTTP to ``url``, or in-process."""
    if job.get("url"):
        client = httpx.Client(base_url=job["url"], timeout=60)  # pool of 100: enough
    else:
        pair = pair_named(job.get("pair", "edge-clientbook"))
        transport = SyncASGITransport(pair.make_app(None))
        client = httpx.Client(base_url=IN_PROCESS_URL, transport=transport, timeout=60)
    with client, fewer_collections():  # as the engine's run does: same client, same fake
        result = replay(Path(job["recording"]), client, job.get("in_flight", 1))
    return {
        "seconds": result.seconds,
        "cpu_seconds": result.cpu_seconds,
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
