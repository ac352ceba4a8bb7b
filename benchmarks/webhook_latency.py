"""Webhook latency: seconds from a change in Square to its write on the Edge side.

The fake Square (uvicorn) posts signed notifications to ``syncwright serve`` (uvicorn), which
runs targeted runs of the pair; a watcher notes when each change's e-mail first appears in
an Edge import file. ``CHANGES`` changes (four in five new customers, one in five updates of
linked ones) are spread evenly over ``SECONDS``; the fake's delivery delay is 0. Also
counts the runs those notifications caused and the debounce windows they opened.

    .venv/bin/python -m benchmarks.webhook_latency [CHANGES] [SECONDS] [--append]
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.report import machine
from benchmarks.server import ROOT
from tests.square_world import PAIR
from tests.webhook_world import WebhookWorld

EMAIL = re.compile(rb"bench\d+@example\.com")


class Watcher:
    """Notes when each e-mail first appears in a new import file of Edge's exchange folder."""

    def __init__(self, folders: list[Path]):
        self.folders = folders
        self.seen: dict[str, float] = {}
        self.files: set[str] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self.stop.wait(0.02):
            now = time.monotonic()
            for folder in self.folders:
                for path in folder.iterdir():
                    if path.name in self.files or path.name.startswith(".") or not path.is_file():
                        continue
                    self.files.add(path.name)
                    for found in EMAIL.findall(path.read_bytes()):
                        self.seen.setdefault(found.decode(), now)


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main(
    changes: int = 1000, seconds: float = 60.0, append: bool = False, work: Path | None = None
) -> dict[str, float]:
    tmp = work or Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    world = WebhookWorld(tmp, seed=max(10, changes // 5), debounce=1.0)
    load_before = _load()
    try:
        world.settle()
        linked = [c["id"] for c in world.sq.customers.live()]
        world.start()
        first_run = world.engine.store.runs(PAIR, limit=1)[0].id + 1
        watcher = Watcher([world.edge.outbox])
        watcher.thread.start()
        made: dict[str, float] = {}
        start = time.monotonic()
        for n in range(changes):
            due = start + n * seconds / changes
            time.sleep(max(0.0, due - time.monotonic()))
            email = f"bench{n}@example.com"
            made[email] = time.monotonic()
            if n % 5 == 4 and linked:
                world.update(linked.pop(), email_address=email)
            else:
                world.create(email)
        deadline = time.monotonic() + 60
        while len(watcher.seen) < len(made) and time.monotonic() < deadline:
            time.sleep(0.1)
        watcher.stop.set()
        latencies = [watcher.seen[e] - t for e, t in made.items() if e in watcher.seen]
        runs = [r for r in world.engine.store.runs(PAIR, limit=5000) if r.id >= first_run]
        targeted = [r for r in runs if r.counts.get("webhook.notifications")]
        assert world.served is not None
        windows = world.served.dispatcher.schedule.windows
        stats = world.engine.store.webhook_stats()[0].counts
    finally:
        world.close()
    info = machine()
    line = (
        f"- {changes} changes over {seconds:g} s, delivery delay 0, debounce 1 s: "
        f"change→Edge write {spread(latencies)}; "
        f"{len(latencies)} of {changes} written; {stats['received']} notifications caused "
        f"{len(targeted)} targeted runs in {windows} debounce windows "
        f"({len(runs) - len(targeted)} poll runs); load average before {load_before}, "
        f"after {_load()}"
    )
    record(
        "webhook latency",
        f"- machine: {info.get('machine', '')}; {info.get('python', '')}",
        line,
        append,
    )
    return {
        "written": len(latencies),
        "p95": percentile(latencies, 0.95),
        "targeted_runs": len(targeted),
        "windows": windows,
    }


def spread(latencies: list[float]) -> str:
    """p50, p95, p99, max and mean of ``latencies`` (seconds), as RESULTS.md gives them."""
    return (
        f"p50 {percentile(latencies, 0.5):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
        f"p99 {percentile(latencies, 0.99):.2f} s, max {max(latencies):.2f} s, "
        f"mean {statistics.mean(latencies):.2f} s"
    )


def record(title: str, machine_line: str, line: str, append: bool) -> None:
    """Print a result section and, with ``append``, add it to RESULTS.md."""
    text = (
        f"\n## {title} — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC\n\n"
        f"{machine_line}\n{line}\n"
    )
    print(text)
    if append:
        with (ROOT / "benchmarks" / "RESULTS.md").open("a", encoding="utf-8") as out:
            out.write(text)


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(
        int(args[0]) if args else 1000,
        float(args[1]) if len(args) > 1 else 60.0,
        append="--append" in sys.argv,
    )
