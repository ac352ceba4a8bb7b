"""Fleet soak: many small stores on Procrastinate workers, a worker SIGKILLed every 30 s.

``python -m benchmarks.fleet_soak --pairs 1000 --workers 4 --minutes 10`` (and
``--scaling`` for pairs per minute with 1, 2 and 4 workers). Every store is an Edge folder
and a Clientbook account, served by one uvicorn in this process (``/s/N/`` is store N's
Clientbook); the workers are ``syncwright worker`` processes on the fleet file. While they
run, Edge cycles land imports and export changes, both sides get edits, and one worker is
SIGKILLed (and another started) every ``--kill-every`` seconds. At the end the kills stop,
every pair runs until settled, and the figures are taken from the database:

- overlap: two runs of one pair at once (from the ``runs`` table) - must be 0;
- lost or duplicated: every store's both sides, through its links - must be none;
- starvation: the longest wait of a pair between runs, in intervals (must stay under 2);
- lag: from the time a run was due to its start, p50 and p99 (``fleet_starts``);
- the database's size per 1,000 pairs.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import itertools
import json
import os
import queue
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake
from fakes.toolkit import BackgroundServer, FaultState
from framework.fleet.workers import upgrade_queue
from framework.state.postgres import upgrade
from tests.crash import API_KEY, seed_both, snapshot

ROOT = Path(__file__).resolve().parent.parent
DB = os.environ.get("SYNCWRIGHT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


class Stores:
    """N Clientbook accounts behind one ASGI app (``/s/N/...``); edits run in its loop."""

    def __init__(self, n: int):
        self.cb = [ClientbookState(api_key=API_KEY) for _ in range(n)]
        self.apps = [make_app(state, FaultState()) for state in self.cb]
        self.edits: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        while not self.edits.empty():  # in the server's loop: never beside a request
            self.edits.get()()
        if scope["type"] != "http":
            return
        _, _, n, *rest = scope["path"].split("/", 3)
        inner = dict(scope, path="/" + (rest[0] if rest else ""), root_path="")
        await self.apps[int(n)](inner, receive, send)


def write_store(work: Path, i: int, url: str, interval: float) -> Path:
    folder = work / f"shop-{i}"
    (folder / "edt").mkdir(parents=True, exist_ok=True)
    config = folder / "syncwright.toml"
    config.write_text(
        f"""[engine]
retry_attempts = 4
retry_initial_wait = 0.05
retry_max_wait = 0.5
lease_ttl = 20
[systems.edge]
connector = "edge"
folder = "edt"
store_license_id = "1001"
settle_seconds = 0
[systems.clientbook]
connector = "clientbook"
base_url = "{url}/s/{i}"
api_key = "{API_KEY}"
timeout = 10.0
[pairs.store]
preset = "edge-clientbook"
pos = "edge"
platform = "clientbook"
default_associate = "1"
interval_minutes = {interval / 60}
""",
        encoding="utf-8",
    )
    return config


class Soak:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.work: Path = args.work
        self.work.mkdir(parents=True, exist_ok=True)
        self.schema = f"soak_{int(time.time())}"
        self.rnd = random.Random(19)
        self.workers: list[subprocess.Popen[bytes]] = []
        self.kills = 0
        self.stop = threading.Event()
        self.quiet = threading.Event()  # no edits, no kills: settling
        self.edge_edits: dict[tuple[int, str], str] = {}
        self.cb_edits: dict[tuple[int, str], str] = {}
        self.edge_added = 0

    def log(self, text: str) -> None:
        print(f"[{dt.datetime.now():%H:%M:%S}] {text}", flush=True)

    def db(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            self.args.db, autocommit=True, options=f"-c search_path={self.schema}"
        )

    # -- set-up ---------------------------------------------------------------------------

    def build(self) -> None:
        n = self.args.pairs
        upgrade(self.args.db, self.schema)
        upgrade_queue(self.args.db, self.schema)
        self.stores = Stores(n)
        self.server = BackgroundServer(self.stores).start()
        self.edges = []
        lines = [
            f'[state]\nurl = "{self.args.db}"\nschema = "{self.schema}"\n',
            "[worker]\ntick_seconds = 2\nheartbeat_seconds = 2\nstalled_seconds = 8\n",
        ]
        for i in range(n):
            config = write_store(self.work, i, self.server.url, self.args.interval)
            edge = EdgeFake(config.parent / "edt")
            seed_both(edge, self.stores.cb[i], 4, 2, 1)
            edge.run_cycle()
            self.edges.append(edge)
            lines.append(f'[stores.shop-{i}]\nconfig = "{config}"\n')
        self.fleet = self.work / "fleet.toml"
        self.fleet.write_text("\n".join(lines), encoding="utf-8")
        self.log(f"{n} stores in schema {self.schema}, fakes on {self.server.url}")

    def start_worker(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        log = (self.work / f"worker-{len(self.workers) + self.kills}.log").open("ab")
        self.workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "framework.cli", "worker", "-f", str(self.fleet)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        )

    def stop_workers(self) -> None:
        for proc in self.workers:
            proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.workers.clear()

    # -- while it runs --------------------------------------------------------------------

    def activity(self) -> None:
        """Edge cycles round the stores, and edits on both sides (until settling)."""
        n = self.args.pairs
        i = 0
        while not self.stop.is_set():
            for _ in range(max(1, n // 20)):
                edge, cb, store = self.edges[i % n], self.stores.cb[i % n], i % n
                if not self.quiet.is_set() and self.rnd.random() < self.args.edit_share:
                    self.edit(store, edge, cb)
                edge.run_cycle()
                i += 1
            time.sleep(0.5)

    def edit(self, store: int, edge: EdgeFake, cb: ClientbookState) -> None:
        kind = self.rnd.random()
        if kind < 0.4:
            key = self.rnd.choice(sorted(edge.customers))
            name = f"Soak{self.rnd.randrange(10**6)}"
            edge.edit_customer(key, CustomerFirstName=name)
            self.edge_edits[(store, key)] = name
        elif kind < 0.6:
            edge.add_customer(
                "New",
                f"Customer{store}x{self.edge_added}",
                emails=[("Home", f"n{store}.{self.edge_added}@soak.example")],
            )
            self.edge_added += 1
        else:
            clients = [c["id"] for c in cb.clients.live()]
            client = self.rnd.choice(clients)
            email = f"e{self.rnd.randrange(10**6)}@soak.example"

            def apply() -> None:
                cb.update_client(client, {"email": email}, "as_12")

            self.stores.edits.put(apply)
            self.cb_edits[(store, client)] = email

    def killer(self) -> None:
        while not self.stop.wait(self.args.kill_every):
            if self.quiet.is_set():
                continue
            victim = self.rnd.randrange(len(self.workers))
            proc = self.workers.pop(victim)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            self.kills += 1
            self.start_worker()

    # -- the soak -------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.build()
        with self.db() as db:
            began = db.execute("SELECT now()").fetchone()[0]
        for _ in range(self.args.workers):
            self.start_worker()
        threads = [threading.Thread(target=t, daemon=True) for t in (self.activity, self.killer)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + self.args.minutes * 60
        while time.monotonic() < deadline:
            time.sleep(min(30, max(0.1, deadline - time.monotonic())))
            with self.db() as db:
                runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
            self.log(f"{runs} runs, {self.kills} kills, {len(self.workers)} workers")
        with self.db() as db:
            ended = db.execute("SELECT now()").fetchone()[0]
        self.quiet.set()
        self.log("settling: no more kills or edits; every pair runs until both sides agree")
        self.settle()
        self.stop.set()
        self.stop_workers()
        result = self.figures(began, ended)
        self.server.stop()
        return result

    def settle(self) -> None:
        for round_ in range(3):
            for edge in self.edges:
                edge.run_cycle()
            with self.db() as db:
                mark = db.execute("SELECT now()").fetchone()[0]
                db.execute("UPDATE fleet_schedule SET due_at = now()")
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                with self.db() as db:
                    done = db.execute(
                        "SELECT count(DISTINCT (tenant, pair)) FROM fleet_starts "
                        "WHERE started_at >= %s AND finished_at IS NOT NULL",
                        (mark,),
                    ).fetchone()[0]
                if done >= self.args.pairs:
                    break
                time.sleep(1)
            self.log(f"settle round {round_ + 1}: {done} pairs ran")

    # -- figures --------------------------------------------------------------------------

    def figures(self, began: dt.datetime, ended: dt.datetime) -> dict[str, Any]:
        interval = self.args.interval
        with self.db() as db:
            runs = db.execute(
                "SELECT tenant, pair, started_at, finished_at, status FROM runs "
                "ORDER BY tenant, pair, started_at"
            ).fetchall()
            starts = db.execute(
                "SELECT tenant, pair, due_at, started_at FROM fleet_starts "
                "WHERE started_at >= %s AND started_at <= %s ORDER BY id",
                (began, ended),
            ).fetchall()
            sizes = db.execute(
                "SELECT sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname NOT LIKE "
                "'procrastinate%%'), sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
                "AND c.relkind = 'r'",
                (self.schema,),
            ).fetchone()
        overlaps = 0
        by_pair: dict[tuple[str, str], list[Any]] = collections.defaultdict(list)
        for tenant, pair, started, finished, status in runs:
            by_pair[(tenant, pair)].append((started, finished, status))
        for rows in by_pair.values():
            for (_, finished, _), (nxt, _, _) in itertools.pairwise(rows):
                if finished is None or finished > nxt:
                    overlaps += 1
        soak_runs = [r for r in runs if began <= r[2] <= ended]
        gaps = []
        for rows in by_pair.values():
            times = [began] + [s for s, _, _ in rows if began <= s <= ended] + [ended]
            gaps.append(max((b - a).total_seconds() for a, b in itertools.pairwise(times)))
        lags = sorted((s - d).total_seconds() for _, _, d, s in starts)
        problems = self.compare()
        statuses = collections.Counter(r[4] for r in soak_runs)
        state_bytes, all_bytes = int(sizes[0] or 0), int(sizes[1] or 0)
        per_k = 1000 / self.args.pairs
        return {
            "pairs": self.args.pairs,
            "workers": self.args.workers,
            "minutes": self.args.minutes,
            "interval_s": interval,
            "kills": self.kills,
            "runs": len(soak_runs),
            "statuses": dict(statuses),
            "overlaps": overlaps,
            "lost_or_duplicated": problems,
            "max_wait_s": round(max(gaps), 1),
            "max_wait_intervals": round(max(gaps) / interval, 2),
            "lag_p50_s": round(statistics.median(lags), 2) if lags else None,
            "lag_p99_s": round(lags[int(0.99 * (len(lags) - 1))], 2) if lags else None,
            "state_mib_per_1000": round(state_bytes * per_k / 2**20, 1),
            "with_queue_mib_per_1000": round(all_bytes * per_k / 2**20, 1),
            "edits": {
                "edge": len(self.edge_edits),
                "clientbook": len(self.cb_edits),
                "added": self.edge_added,
            },
        }

    def compare(self) -> list[str]:
        """Every store's both sides through its links: what was lost or duplicated."""
        found = []
        with self.db() as db:
            for i, (edge, cb) in enumerate(zip(self.edges, self.stores.cb, strict=True)):
                snap = snapshot(edge, cb, TenantView(db, f"shop-{i}"))
                if (
                    snap.edge_only
                    or snap.clientbook_only
                    or snap.edge_count != snap.clientbook_count
                ):
                    found.append(
                        f"shop-{i}: {sum(snap.edge_only.values())} Edge and "
                        f"{sum(snap.clientbook_only.values())} Clientbook records unlinked, "
                        f"{snap.edge_count} vs {snap.clientbook_count}"
                    )
                if any(snap.pending.values()) or snap.problems:
                    found.append(
                        f"shop-{i}: pending {snap.pending}, problems {dict(snap.problems)}"
                    )
                links = dict(
                    TenantView(db, f"shop-{i}")
                    .execute("SELECT platform_id, pos_id FROM links WHERE entity='customer'")
                    .fetchall()
                )
                for (store, client), email in self.cb_edits.items():
                    if store == i:
                        emails = [
                            m["PairValue"]["EmailEmail"].lower()
                            for m in edge.customers[links[client]]["Emails"]
                        ]
                        if email not in emails:
                            found.append(f"shop-{i}: Clientbook edit of {client} ({email}) lost")
                by_pos = {v: k for k, v in links.items()}
                for (store, key), name in self.edge_edits.items():
                    if store == i and cb.clients.get(by_pos[key])["first_name"] != name:
                        found.append(f"shop-{i}: Edge edit of {key} ({name}) lost")
        return found


class TenantView:
    """One store's rows of the shared schema, for :func:`tests.crash.snapshot`'s SQL."""

    def __init__(self, db: psycopg.Connection[Any], tenant: str):
        self.db, self.tenant = db, tenant

    def execute(self, sql: str) -> Any:
        if " WHERE " in sql:
            sql = sql.replace(" WHERE ", " WHERE tenant=%s AND ", 1)
        else:
            sql += " WHERE tenant=%s"
        return self.db.execute(sql, (self.tenant,))

    def close(self) -> None:
        """Left open: the caller's connection."""


def scaling(args: argparse.Namespace) -> dict[int, float]:
    """Pairs run per minute with 1, 2, 4 workers: every pair due at once, after an upload.

    The stores are uploaded first (4 workers, every pair once), so each phase measures
    incremental runs of settled stores (nothing to move), as a fleet spends its days.
    """
    soak = Soak(args)
    soak.args.interval = 3600.0
    soak.build()
    for _ in range(4):
        soak.start_worker()
    while True:
        time.sleep(5)
        with soak.db() as db:
            done = db.execute(
                "SELECT count(DISTINCT (tenant, pair)) FROM fleet_starts WHERE finished_at "
                "IS NOT NULL"
            ).fetchone()[0]
        if done >= args.pairs:
            break
    soak.stop_workers()
    soak.log("uploaded; measuring")
    result = {}
    for n in (1, 2, 4):
        with soak.db() as db:
            db.execute("UPDATE fleet_schedule SET due_at = now()")
        for _ in range(n):
            soak.start_worker()
        time.sleep(15)  # started, ticking
        with soak.db() as db:
            start = db.execute("SELECT now()").fetchone()[0]
        time.sleep(args.scaling_seconds)
        with soak.db() as db:
            done = db.execute(
                "SELECT count(*) FROM fleet_starts WHERE finished_at >= %s", (start,)
            ).fetchone()[0]
        soak.stop_workers()
        result[n] = round(done * 60 / args.scaling_seconds, 1)
        soak.log(f"{n} worker(s): {result[n]} pairs/minute")
    soak.server.stop()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet_soak", description=__doc__)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=120.0, help="seconds between runs")
    parser.add_argument("--kill-every", type=float, default=30.0)
    parser.add_argument("--edit-share", type=float, default=0.05, help="stores edited a cycle")
    parser.add_argument("--scaling", action="store_true", help="pairs/minute with 1, 2, 4 workers")
    parser.add_argument("--scaling-seconds", type=float, default=60.0)
    parser.add_argument("--db", default=DB)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / ".work" / "fleet")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    if args.scaling:
        out: dict[str, Any] = {"scaling_pairs_per_minute": scaling(args)}
    else:
        out = Soak(args).run()
    out["load_before"] = [round(x, 2) for x in load]
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
