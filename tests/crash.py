"""A world for killing the engine: it runs as a subprocess that a test can SIGKILL at any point.

The fake Clientbook is served over real HTTP by uvicorn in a thread of the test process and
the fake Edge keeps its EDT files on disk, so both outlive the engine. The engine is
``python -m framework.cli -c CFG run --once``, exactly what a scheduler would start. A kill
comes either after a delay (anywhere: reading, reconciling, writing files, committing) or
from inside the fake at the moment a chosen request has been carried out but before its
answer leaves (the write landed, the engine never hears of it).

``snapshot`` gives both sides' full contents without the ids either system assigned, paired
through the engine's links, so a resumed run can be compared with an uninterrupted one.
"""

from __future__ import annotations

import collections
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake, add_seed
from fakes.seed import clientbook_clients, customers
from fakes.toolkit import BackgroundServer, FaultPlan, FaultState

API_KEY = "crash-test-clientbook-key"
ROOT = Path(__file__).resolve().parent.parent


WRITES = ("POST", "PATCH", "PUT", "DELETE")


class KillSwitch:
    """ASGI middleware: on the Nth matching request, do the work, kill the engine, then answer."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.total = 0
        self.writes = 0
        self.calls = 0
        self.fire_at: int | None = None
        self.methods: tuple[str, ...] = ()
        self.action: Callable[[], None] | None = None
        self.fired = threading.Event()

    def arm(self, nth: int, action: Callable[[], None], methods: tuple[str, ...] = ()) -> None:
        """Fire ``action`` once the ``nth`` matching request from now has been handled."""
        self.calls, self.fire_at, self.methods, self.action = 0, nth, methods, action
        self.fired.clear()

    def disarm(self) -> None:
        """Fire no more."""
        self.fire_at = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; after the armed one, kill before the answer goes out."""
        if scope["type"] != "http" or scope["path"].startswith("/_fake"):
            await self.app(scope, receive, send)
            return
        self.total += 1
        self.writes += scope["method"] in WRITES
        if self.fire_at is None:
            await self.app(scope, receive, send)
            return
        if self.methods and scope["method"] not in self.methods:
            await self.app(scope, receive, send)
            return
        self.calls += 1
        if self.calls != self.fire_at:
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        self.fire_at = None
        if self.action is not None:
            self.action()
        self.fired.set()
        for message in held:
            try:
                await send(message)
            except Exception:  # the engine is dead: nobody is listening
                return


def content(record: dict[str, Any], drop: tuple[str, ...]) -> bytes:
    """A record without the given keys, as canonical JSON."""
    return orjson.dumps(
        {k: v for k, v in record.items() if k not in drop}, option=orjson.OPT_SORT_KEYS
    )


CLIENT_IDS = ("id", "created_at", "updated_at", "version", "deleted")
EDGE_IDS = ("CustomerKey", "Customerid", "CustomerAccountKey", "CustomerTransfer")


def edge_content(value: dict[str, Any]) -> bytes:
    """An Edge customer without the ids Edge assigned (keys, contact method owner keys)."""
    clean = {k: v for k, v in value.items() if k not in EDGE_IDS}
    for array in ("Addresses", "Emails", "Phones"):
        clean[array] = [
            {
                "Key": m["Key"],
                "PairValue": {k: v for k, v in m["PairValue"].items() if "CustKey" not in k},
            }
            for m in value.get(array, [])
        ]
    return orjson.dumps(clean, option=orjson.OPT_SORT_KEYS)


@dataclass
class Snapshot:
    """Both sides' contents, id-free: linked pairs and unlinked records, as multisets."""

    pairs: collections.Counter[tuple[bytes, bytes]]
    edge_only: collections.Counter[bytes]
    clientbook_only: collections.Counter[bytes]
    edge_count: int
    clientbook_count: int
    problems: collections.Counter[tuple[str, str]]
    web_ids_ok: bool
    pending: dict[str, int] = field(default_factory=dict)

    def differences(self, other: Snapshot) -> list[str]:
        """What differs from ``other``, in words (empty when equal)."""
        out = []
        if self.edge_count != other.edge_count:
            out.append(f"Edge holds {self.edge_count} customers, expected {other.edge_count}")
        if self.clientbook_count != other.clientbook_count:
            out.append(
                f"Clientbook holds {self.clientbook_count} clients, "
                f"expected {other.clientbook_count}"
            )
        for name in ("pairs", "edge_only", "clientbook_only", "problems"):
            mine, theirs = getattr(self, name), getattr(other, name)
            missing, extra = theirs - mine, mine - theirs
            if missing or extra:
                sample = next(iter(missing or extra))
                out.append(
                    f"{name}: {sum(missing.values())} missing, {sum(extra.values())} extra "
                    f"(e.g. {'missing' if missing else 'extra'} {sample!r:.300})"
                )
        if not self.web_ids_ok:
            out.append("an Edge customer's WebTransferWebID names a client it is not linked to")
        if any(self.pending.values()):
            out.append(f"work left pending: {self.pending}")
        return out


def snapshot(edge: EdgeFake, cb: ClientbookState, state_db: Path | Any) -> Snapshot:
    """Both sides now, paired through the engine's links.

    ``state_db`` is the SQLite file, or an open connection to the state (PostgreSQL).
    """
    clients = {c["id"]: content(c, CLIENT_IDS) for c in cb.clients.live()}
    live_edge = {k: v for k, v in edge.customers.items() if not v.get("CustomerInactive")}
    people = {k: edge_content(v) for k, v in live_edge.items()}
    db = sqlite3.connect(state_db) if isinstance(state_db, Path) else state_db
    try:
        links = db.execute(
            "SELECT pos_id, platform_id FROM links WHERE status='ok' AND entity='customer'"
        ).fetchall()
        problems = collections.Counter(
            (str(rule), str(reason).split(":")[0])
            for rule, reason in db.execute(
                "SELECT rule, reason FROM problems WHERE resolved_at IS NULL"
            )
        )
        pending = {
            "journal": db.execute("SELECT COUNT(*) FROM journal").fetchone()[0],
            "inbox": db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0],
        }
    finally:
        db.close()
    pairs: collections.Counter[tuple[bytes, bytes]] = collections.Counter()
    web_ids_ok = True
    for pos_id, platform_id in links:
        if pos_id in people and platform_id in clients:
            web_id = live_edge[pos_id]["CustomerTransfer"].get("WebTransferWebID")
            web_ids_ok = web_ids_ok and web_id in ("", None, platform_id)
            pairs[(people.pop(pos_id), clients.pop(platform_id))] += 1
    return Snapshot(
        pairs=pairs,
        edge_only=collections.Counter(people.values()),
        clientbook_only=collections.Counter(clients.values()),
        edge_count=len(live_edge),
        clientbook_count=sum(1 for _ in cb.clients.live()),
        problems=problems,
        web_ids_ok=web_ids_ok,
        pending=pending,
    )


def seed_both(edge: EdgeFake, cb: ClientbookState, edge_n: int, cb_n: int, shared: int) -> None:
    """A store's customers on Edge, clients on Clientbook, ``shared`` people on both."""
    for seed in customers(edge_n):
        add_seed(edge, seed)
    if not cb.associates:
        cb.add_associate("as_12", "Maria Lopez", "12")
        cb.add_associate("as_77", "Sam Carter", None)
    for body in clientbook_clients(cb_n):
        cb.create_client(body, actor="as_12")
    # The same people on both sides: matched on e-mail (G-3), never duplicated.
    with_email = [v for v in edge.customers.values() if v["Emails"]]
    for value in with_email[:shared]:
        cb.create_client(
            {
                "first_name": value["CustomerFirstName"],
                "last_name": value["CustomerLastName"],
                "email": value["Emails"][0]["PairValue"]["EmailEmail"].upper(),
            },
            "as_77",
        )


def edit_both(edge: EdgeFake, cb: ClientbookState, round_: int, size: int = 40) -> None:
    """A round of edits on both sides, the same in every world seeded alike.

    Only records whose ids do not depend on the sync are touched: Edge customers seeded
    there and Clientbook clients seeded there (both numbered at seeding; ``round_`` must
    stay within them).
    """
    keys = sorted(edge.customers)  # the seeded ones first: the lowest numbers
    for n, key in enumerate(keys[round_ * size : (round_ + 1) * size]):
        if n % 3 == 0:
            edge.edit_customer(key, CustomerKey1=str(4 + n % 7), CustomerKey2="Platinum")
        elif n % 3 == 1:
            edge.add_contact(
                key,
                "Emails",
                "Work",
                EmailEmail=f"w{round_}.{key}@work.example.com",
                EmailSendPromo=False,
            )
            edge.edit_customer(key, CustomerPrefEMail="Work")
        else:
            edge.edit_customer(key, CustomerFirstName=f"Renamed{round_}", CustomerAcquisition="Web")
    for n in range(size // 2):
        client_id = f"cl_{round_ * size // 2 + n + 1:06d}"
        changes: dict[str, Any] = (
            {"email": f"cb{round_}.{n}@changed.example.com"}
            if n % 2
            else {"preferences": [{"name": "Ring size", "value": "8"}], "acquisition": "Changed"}
        )
        cb.update_client(client_id, changes, "as_12" if n % 4 else "as_77")
    for n in range(size // 4):
        cb.create_client(
            {
                "first_name": "New",
                "last_name": f"Client {round_}.{n}",
                "email": f"new{round_}.{n}@cb.example.com",
            },
            "as_77",
        )
        edge.add_customer(
            "Walk",
            f"In {round_}.{n}",
            emails=[("Home", f"walk{round_}.{n}@example.com")],
            CustomerKey1="6",
        )


@dataclass
class Attempt:
    """One engine subprocess: how it ended."""

    killed: bool
    returncode: int
    seconds: float
    output: str
    work_seconds: float = 0.0


class CrashWorld:
    """The fakes in the test process, the engine in a subprocess (see the module docstring)."""

    def __init__(
        self,
        tmp: Path,
        *,
        edge_customers: int,
        clientbook_clients_n: int,
        shared: int,
        faults: FaultPlan | None = None,
        extra_config: str = "",
        engine_config: str = "",
        state: Any = None,
    ):
        self.tmp = tmp
        self.edge = EdgeFake(tmp / "edt")
        self.cb = ClientbookState(api_key=API_KEY)
        seed_both(self.edge, self.cb, edge_customers, clientbook_clients_n, shared)
        self.faults = FaultState(faults)
        self.switch = KillSwitch(make_app(self.cb, self.faults))
        self.server = BackgroundServer(self.switch).start()
        self.config = tmp / "syncwright.toml"
        self.state_db = tmp / "state.db"
        self.pg = state  # a tests.services.PgSchema: the state in PostgreSQL
        state_toml = state.toml("shop") if state is not None else '[state]\npath = "state.db"'
        self.config.write_text(
            f"""
{state_toml}
[engine]
retry_attempts = 4
retry_initial_wait = 0.01
retry_max_wait = 0.2
{engine_config}
[systems.edge]
connector = "edge"
folder = "edt"
store_license_id = "1001"
settle_seconds = 0
[systems.clientbook]
connector = "clientbook"
base_url = "{self.server.url}"
api_key = "{API_KEY}"
timeout = 2.0
{extra_config}
[pairs.store]
preset = "edge-clientbook"
pos = "edge"
platform = "clientbook"
default_associate = "1"
[pairs.store.flows.customer.fields.custom]
map = {{ CustomerKey1 = "Ring size", CustomerKey2 = "Metal" }}
""",
            encoding="utf-8",
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.attempts: list[Attempt] = []
        self._watch: Any = None

    # -- the engine -------------------------------------------------------------------------

    def _start(self, *extra: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
        log = self.tmp / f"run-{len(self.attempts)}.log"
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "framework.cli",
                *extra,
                "-c",
                str(self.config),
                "run",
                "--once",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.tmp,
            env=env,
        )
        return self.proc

    def spawn(self, name: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        """Start ``syncwright -c CFG run --once ARGS`` on its own log, without waiting."""
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
        log = self.tmp / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "framework.cli",
                    "-c",
                    str(self.config),
                    "run",
                    "--once",
                    *args,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.tmp,
                env=env,
            )
        return proc, log

    def _end(
        self, proc: subprocess.Popen[bytes], killed: bool, started: float, working: float
    ) -> Attempt:
        proc.wait()
        self._log.close()
        output = (self.tmp / f"run-{len(self.attempts)}.log").read_text(errors="replace")
        now = time.monotonic()
        attempt = Attempt(killed, proc.returncode, now - started, output, now - working)
        self.attempts.append(attempt)
        return attempt

    def _working(self, proc: subprocess.Popen[bytes], before: int) -> float:
        """Wait until the engine has recorded its run in the state store (or ended)."""
        while self.runs_started() == before and proc.poll() is None:
            time.sleep(0.005)
        return time.monotonic()

    def run(self, *extra: str, timeout: float = 300) -> Attempt:
        """Run the engine once to its end."""
        started = time.monotonic()
        before = self.runs_started()
        proc = self._start(*extra)
        working = self._working(proc, before)
        proc.wait(timeout=timeout)
        return self._end(proc, False, started, working)

    def run_killed_after(self, delay: float) -> Attempt:
        """Run the engine; SIGKILL it ``delay`` seconds into its run (if still running).

        The clock starts when the engine has recorded its run in the state store, so the
        kill lands in the run's work, not in Python starting up.
        """
        started = time.monotonic()
        before = self.runs_started()
        proc = self._start()
        working = self._working(proc, before)
        try:
            proc.wait(timeout=delay)
            return self._end(proc, False, started, working)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            return self._end(proc, True, started, working)

    def run_killed_at_call(
        self, nth: int, methods: tuple[str, ...] = (), timeout: float = 300
    ) -> Attempt:
        """Run the engine; SIGKILL it once the fake has carried out its ``nth`` request."""
        started = time.monotonic()
        proc = self._start()

        def kill() -> None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

        self.switch.arm(nth, kill, methods)
        try:
            proc.wait(timeout=timeout)
        finally:
            self.switch.disarm()
        # The switch marks itself fired right after its kill returns, in the server's thread:
        # a process ended by SIGKILL waits for that mark rather than racing it.
        killed = self.switch.fired.is_set() or (
            proc.returncode == -signal.SIGKILL and self.switch.fired.wait(10)
        )
        return self._end(proc, killed, started, started)

    def connect(self) -> Any:
        """A connection to the state (SQLite or PostgreSQL; one tenant in its own schema)."""
        if self.pg is None:
            return sqlite3.connect(self.state_db)
        import psycopg

        return psycopg.connect(
            self.pg.url, autocommit=True, options=f"-c search_path={self.pg.schema}"
        )

    def runs_started(self) -> int:
        """How many engine runs the state store has recorded."""
        if self.pg is not None:
            if self._watch is None:
                self._watch = self.connect()
            return int(self._watch.execute("SELECT count(*) FROM runs").fetchone()[0])
        if not self.state_db.exists():
            return 0
        db = sqlite3.connect(self.state_db)
        try:
            return int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
        except sqlite3.OperationalError:
            return 0
        finally:
            db.close()

    # -- looking ----------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Both sides now (see :func:`snapshot`)."""
        if self.pg is None:
            return snapshot(self.edge, self.cb, self.state_db)
        with self.connect() as db:
            return snapshot(self.edge, self.cb, db)

    def close(self) -> None:
        """Stop the fake Clientbook (and an engine still running)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self._watch is not None:
            self._watch.close()
        self.server.stop()
