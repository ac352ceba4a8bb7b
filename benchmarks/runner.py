"""Runs the benchmark's phases in order, each measured in a process of its own.

The pair is one of the bundled ones (``--pair``, ``pairs.py``; Edge -> Clientbook unless
said); every phase but the incremental runs (whose edits are Clientbook's) runs for each.

1. The store is generated in the fake Edge and exported (a full EDT export), or in the fake
   F/K program's database, untimed.
2. The initial upload to the pair's platform with its fake in the engine's process, then its
   floor (the same requests replayed with plain httpx to a fresh in-process fake).
3. The same upload with the fake served by uvicorn in another process (real HTTP on
   127.0.0.1), then its floor against a fresh server.
4. Incremental runs on that store (Edge <-> Clientbook only): the read-back of the upload,
   a run with nothing changed, a run after 1% of the customers changed on each side, and
   the runs that read that back.
5. Rate-limit efficiency: the upload against a fake that caps requests, for a set time.
6. Latency: the upload against a served fake that answers each request after a delay (a
   real platform's round trip), with the engine allowed 1 and N writes in flight, and the
   floor of each at the same number in flight.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.floor import recorded
from benchmarks.pairs import Pair, pair_named
from benchmarks.phase import IN_PROCESS_URL, engine_config
from benchmarks.server import API_KEY, ROOT, FakeServer
from benchmarks.store import StoreCounts, edit_clientbook, edit_edge, generate, generate_fk
from fakes.edge import EdgeFake

CHANGED_SHARE = 0.01


@dataclass
class Options:
    """What to run."""

    size: int
    work: Path
    rate_limit: str = "600/60"
    rate_seconds: float = 30.0
    profile: bool = False
    latency: float = 0.1
    """Seconds the served fake waits before each answer in the latency runs (0: none)."""
    in_flight: tuple[int, ...] = (1, 8)
    """Requests in flight of the latency runs, engine and floor."""
    seed: int = 8
    log: Any = print
    pair: str = "edge-clientbook"
    """The bundled pair whose upload is measured (``pairs.py``)."""


class Bench:
    """One benchmark run in ``options.work`` (emptied first)."""

    def __init__(self, options: Options):
        self.options = options
        self.work = options.work
        self.pair: Pair = pair_named(options.pair)
        self.results: dict[str, Any] = {
            "size": options.size,
            "pair": self.pair.name,
            "platform": self.pair.label,
            "load_before": os.getloadavg(),
            "cpus": os.cpu_count() or 1,
        }
        self.edge: EdgeFake | None = None

    def say(self, text: str) -> None:
        """Progress for the person waiting."""
        self.options.log(text)

    def run(self) -> dict[str, Any]:
        """Every phase; the results as plain data (see ``report.py``)."""
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        counts = self._store()
        moved = {k: v for k, v in counts.as_dict().items() if k in self.pair.entities}
        self.results["store"] = moved
        self.results["records"] = sum(moved.values())
        self.results["in_flight"] = self.in_flight
        self.results["upload"] = {"in-process": self._upload_in_process()}
        with self.server() as platform:
            self.results["upload"]["uvicorn"] = self._upload_http(platform)
            # a profile is of the uploads alone; the incremental runs edit Clientbook
            if not self.options.profile and self.pair.name == "edge-clientbook":
                self.results["incremental"] = self._incremental(platform)
        if not self.options.profile:
            if self.options.rate_seconds > 0:
                self.results["rate_limit"] = self._rate_limit()
            if self.options.latency > 0:
                self.results["latency"] = self._latency()
        self.results["load_after"] = os.getloadavg()
        return self.results

    # -- the store ----------------------------------------------------------------------------

    def _store(self) -> StoreCounts:
        self.say(f"generating a store of {self.options.size} customers ({self.pair.pos})")
        start = time.perf_counter()
        if self.pair.pos == "edge":
            self.edge = EdgeFake(self.store())
            counts = generate(self.edge, self.options.size, self.options.seed)
            self.edge.run_cycle()  # EDT's first run: a full export of everything
        else:
            counts = generate_fk(self.store(), self.options.size, self.options.seed)
        copies = ["in-process"] + (["rate"] if self.options.rate_seconds > 0 else [])
        if self.options.latency > 0 and not self.options.profile:
            copies += [f"latency-{n}" for n in self.options.in_flight]
        for copy in copies:
            if self.pair.pos == "edge":
                shutil.copytree(self.store(), self.store(copy))
            else:
                shutil.copy2(self.store(), self.store(copy))
        self.results["generate_seconds"] = time.perf_counter() - start
        return counts

    def store(self, copy: str = "") -> Path:
        """The store (an EDT folder or an F/K database), or one of its copies."""
        suffix = f"-{copy}" if copy else ""
        if self.pair.pos == "edge":
            return self.work / f"edt{suffix}"
        return self.work / f"fk{suffix}.db"

    def server(self, rate_limit: str | None = None, latency: float = 0.0) -> FakeServer:
        """The pair's fake platform served by uvicorn in a process of its own."""
        return FakeServer(rate_limit, latency, pair=self.pair.name)

    def config(
        self,
        state: str,
        store: Path,
        url: str,
        rate_limit: int | None = None,
        in_flight: int | None = None,
    ) -> dict[str, Any]:
        """The engine's configuration of the pair against a copy of the store."""
        return engine_config(
            self.work, state, store, url, rate_limit, in_flight, pair=self.pair.name
        )

    # -- uploads and floors -------------------------------------------------------------------

    def _upload_in_process(self) -> dict[str, Any]:
        self.say(f"initial upload, {self.pair.label} in-process")
        config = self.config(
            "in-process.db", self.store("in-process"), IN_PROCESS_URL, in_flight=self.in_flight
        )
        engine = self.phase("upload-in-process", config, in_process=True)
        self.say(f"  its floor, {self.in_flight} in flight")
        floor = self.floor("upload-in-process", None, self.in_flight)
        return {"engine": engine, "floor": floor}

    def _upload_http(self, platform: FakeServer) -> dict[str, Any]:
        self.say(f"initial upload, {self.pair.label} served by uvicorn at {platform.url}")
        config = self._config(platform.url)
        config["systems"][self.pair.platform]["in_flight"] = self.in_flight
        before = platform.cpu_seconds()
        engine = self.phase("upload-uvicorn", config)
        engine["server_cpu_seconds"] = platform.cpu_seconds() - before
        self.say(f"  its floor, {self.in_flight} in flight, to a fresh server")
        with self.server() as fresh:
            before = fresh.cpu_seconds()
            floor = self.floor("upload-uvicorn", fresh.url, self.in_flight)
            floor["server_cpu_seconds"] = fresh.cpu_seconds() - before
        engine["server_rss_mb"] = _rss_mb(platform.process.pid)
        return {"engine": engine, "floor": floor}

    @property
    def in_flight(self) -> int:
        """Requests in flight of the uploads without latency: the most of ``--in-flight``."""
        return max(self.options.in_flight, default=1)

    def _config(self, url: str, rate_limit: int | None = None) -> dict[str, Any]:
        return self.config("uvicorn.db", self.store(), url, rate_limit)

    # -- latency -------------------------------------------------------------------------------

    def _latency(self) -> dict[str, Any]:
        """The upload against a fake answering after a delay, at each number in flight."""
        latency = self.options.latency
        runs: dict[str, Any] = {"latency_seconds": latency, "by_in_flight": {}}
        for n in self.options.in_flight:
            name = f"upload-latency-{n}"
            self.say(f"latency {latency * 1000:g} ms: the upload with {n} in flight")
            with self.server(latency=latency) as platform:
                config = self.config(
                    f"latency-{n}.db", self.store(f"latency-{n}"), platform.url, in_flight=n
                )
                engine = self.phase(name, config)
            self.say(f"  its floor, {n} in flight, to a fresh server")
            with self.server(latency=latency) as fresh:
                floor = self.floor(name, fresh.url, in_flight=n)
            runs["by_in_flight"][str(n)] = {"engine": engine, "floor": floor}
        return runs

    # -- incremental runs ---------------------------------------------------------------------

    def _incremental(self, clientbook: FakeServer) -> dict[str, Any]:
        assert self.edge is not None
        runs: dict[str, Any] = {}
        config = self._config(clientbook.url)
        self.say("incremental: the upload read back")
        self.edge.run_cycle()
        runs["read-back of the upload"] = self.phase("read-back", config)
        self.say("incremental: nothing changed")
        self.edge.run_cycle()
        runs["nothing changed"] = self.phase("quiet", config)
        edge_changed = edit_edge(self.edge, CHANGED_SHARE)
        self.edge.run_cycle()
        with httpx.Client(
            base_url=clientbook.url, headers={"authorization": f"Bearer {API_KEY}"}, timeout=60
        ) as client:
            cb_changed = edit_clientbook(client, _client_ids(client), CHANGED_SHARE)
        self.say(f"incremental: {edge_changed} Edge customers and {cb_changed} clients changed")
        runs["1% changed"] = self.phase("one-percent", config)
        runs["1% changed"]["changed"] = {"pos": edge_changed, "platform": cb_changed}
        for n in (1, 2):  # EDT downloads an import on one run and imports it on the next
            self.edge.run_cycle()
            runs[f"after 1%: read-back {n}"] = self.phase(f"one-percent-read-back-{n}", config)
        self.edge.run_cycle()
        runs["nothing changed, again"] = self.phase("quiet-again", config)
        return runs

    # -- rate limit ---------------------------------------------------------------------------

    def _rate_limit(self) -> dict[str, Any]:
        requests, _, window = self.options.rate_limit.partition("/")
        allowed = int(requests) / float(window)
        cap_per_minute = round(allowed * 60)
        seconds = self.options.rate_seconds
        self.say(
            f"rate limit: the fake allows {self.options.rate_limit} (requests/seconds), the "
            f"engine is set to {cap_per_minute}/min; twice {seconds:g} s of the upload"
        )
        with self.server(self.options.rate_limit) as platform:
            config = self.config("rate.db", self.store("rate"), platform.url, cap_per_minute)
            windows = self._for_a_while(platform, config, [seconds, 2 * seconds])
        measured = {"allowed_per_second": allowed, "cap_per_minute": cap_per_minute}
        for name, window in zip(("start", "steady"), windows, strict=True):
            window["efficiency"] = window["achieved_per_second"] / allowed
            measured[name] = window
        return measured

    def _for_a_while(
        self, platform: FakeServer, config: dict[str, Any], marks: list[float]
    ) -> list[dict[str, Any]]:
        """Run the engine and read the fake's counters ``marks`` seconds after the engine's
        first request reached it; one window of figures between consecutive marks.

        The first window includes reading the store before the first write (no requests
        then); the next shows the pace once the writes flow.
        """
        job, result = self._job("rate", {"kind": "engine", "config": config, **self._pair})
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.phase", job, result], cwd=ROOT
        )
        try:
            samples = [(0.0, _first_request(platform, process))]
            start = time.monotonic()
            for mark in marks:
                while time.monotonic() < start + mark and process.poll() is None:
                    time.sleep(0.05)
                samples.append((time.monotonic() - start, platform.faults()))
        finally:
            process.kill()
            process.wait()
        windows = []
        for (t0, before), (t1, after) in itertools.pairwise(samples):
            answered = after["calls"] - before["calls"]
            limited = after["rate_limited"] - before["rate_limited"]
            elapsed = t1 - t0
            windows.append(
                {
                    "from": t0,
                    "seconds": elapsed,
                    "finished_early": elapsed < (marks[0] * 0.99),
                    "requests": answered,
                    "rate_limited": limited,
                    "achieved_per_second": answered / elapsed if elapsed > 0 else 0.0,
                    "share_429": limited / (answered + limited) if answered + limited else 0.0,
                }
            )
        return windows

    # -- running phases -----------------------------------------------------------------------

    def _job(self, name: str, job: dict[str, Any]) -> tuple[str, str]:
        path = self.work / f"{name}.job.json"
        path.write_text(json.dumps({"work": str(self.work), **job}))
        return str(path), str(self.work / f"{name}.result.json")

    def phase(self, name: str, config: dict[str, Any], in_process: bool = False) -> dict[str, Any]:
        """An engine run in its own process, recording its requests."""
        recording = self.work / f"{name}.requests"
        job: dict[str, Any] = {
            "kind": "engine",
            **self._pair,
            "config": config,
            "in_process": in_process,
            "record": str(recording),
            "until_settled": name.startswith("upload"),
        }
        if self.options.profile and name.startswith("upload"):
            job["profile"] = str(self.work / f"{name}.profile.txt")
        result = self._run(name, job)
        result["requests"] = _requests(recording)
        if "profile" in job:
            result["profile"] = json.loads(Path(job["profile"]).with_suffix(".json").read_text())
        return result

    def floor(self, name: str, url: str | None, in_flight: int = 1) -> dict[str, Any]:
        """Replay ``name``'s recording to a fresh fake (``url``; in-process when ``None``)."""
        recording = str(self.work / f"{name}.requests")
        job = {
            "kind": "floor",
            **self._pair,
            "recording": recording,
            "url": url,
            "in_flight": in_flight,
        }
        return self._run(f"{name}-floor", job)

    @property
    def _pair(self) -> dict[str, str]:
        return {"pair": self.pair.name}

    def _run(self, name: str, job: dict[str, Any]) -> dict[str, Any]:
        job_path, result_path = self._job(name, job)
        subprocess.run(
            [sys.executable, "-m", "benchmarks.phase", job_path, result_path], cwd=ROOT, check=True
        )
        result: dict[str, Any] = json.loads(Path(result_path).read_text())
        return result


def _requests(path: Path) -> dict[str, Any]:
    """What a recording holds: requests by method and path (ids folded), bytes, statuses."""
    kinds: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    sent = 0
    for method, target, _, content, status in recorded(path):
        route = "/".join(
            "{id}" if any(c.isdigit() for c in part) and part != "v1" else part
            for part in target.split("?")[0].split("/")
        )
        kinds[f"{method} {route}"] += 1
        statuses[str(status)] += 1
        sent += len(content)
    return {
        "count": sum(kinds.values()),
        "bytes_sent": sent,
        "by_route": dict(kinds.most_common()),
        "statuses": dict(sorted(statuses.items())),
    }


def _client_ids(client: httpx.Client) -> list[str]:
    """Every live client's id, read through the clients feed."""
    ids: list[str] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if token:
            params["page_token"] = token
        body = client.get("/v1/clients", params=params).raise_for_status().json()
        ids += [c["id"] for c in body["data"] if not c.get("deleted")]
        token = body.get("next_page_token")
        if not token:
            return ids


def _first_request(platform: FakeServer, process: subprocess.Popen[bytes]) -> dict[str, int]:
    """The fake's counters right after the engine's first request reached it."""
    while True:
        counters = platform.faults()
        if counters["calls"] + counters["rate_limited"] > 0 or process.poll() is not None:
            return counters
        time.sleep(0.01)


def _rss_mb(pid: int) -> float | None:
    """The current resident memory of another process (Linux), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):  # its peak
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
