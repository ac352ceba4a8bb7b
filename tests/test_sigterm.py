"""``syncwright run`` stops cleanly on SIGTERM: the record in hand is finished, the run is
recorded as stopped, nothing is lost, and the next run completes the work (a real process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake
from fakes.toolkit import BackgroundServer, FaultPlan, FaultRule, FaultState
from framework.config import load_config
from framework.engine.engine import Engine
from tests.configs import edge_clientbook_toml

ROOT = Path(__file__).resolve().parent.parent
CUSTOMERS = 250  # three batches of 100 to Clientbook, each answered slowly, two in flight

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def test_sigterm_finishes_the_batch_in_hand_records_stopped_and_loses_nothing(tmp_path: Path):
    state = ClientbookState(api_key="term-key")
    state.add_associate("as_12", "Maria", "12")
    # Made at once, answered 1.5 s later: the signal lands while the writes are in flight.
    slow = FaultRule(
        kind="slow", when="after", delay=1.5, rate=1.0, path="/v1/clients/batch", methods=["POST"]
    )
    server = BackgroundServer(make_app(state, FaultState(FaultPlan(rules=[slow])))).start()
    edge = EdgeFake(tmp_path / "edt")
    for n in range(CUSTOMERS):
        edge.add_customer("Term", f"Person{n:03d}", emails=[("Home", f"term{n}@example.com")])
    edge.run_cycle()
    # Two batches in flight when the signal lands: both are settled, the third never sent.
    cfg = edge_clientbook_toml(tmp_path, server.url, "term-key", clientbook="in_flight = 2")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "framework.cli", "-c", str(cfg), "run"],  # as a service runs it
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while sum(1 for _ in state.clients.live()) == 0:  # the first batch has landed
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no write reached Clientbook"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    try:
        assert proc.returncode == 0, err
        assert "SIGTERM: stopping after the record in hand" in err
        assert "stopped on request" in err
        made = [c["email"] for c in state.clients.live()]
        assert 0 < len(made) < CUSTOMERS, "stopped part-way"
        config, hooks = load_config(cfg)
        engine = Engine(config, hooks)
        [run] = engine.store.runs(limit=1)
        assert run.status == "stopped"
        assert run.finished_at is not None
        # Read and not written: journaled (reconciled, not sent), or still staged with its
        # cursor (write while reading: a stop can land before the last pages are reconciled).
        read = run.counts["customer.read.pos"]
        journaled = len(engine.store.intents("store"))
        staged = engine.store.inbox_count("store", "customer")
        assert journaled + staged == read - len(made), "what was read and not written is kept"
        # Not read at all (the stop landed between two pages): after the cursor, read next run.
        assert len(made) <= read <= CUSTOMERS
        engine.close()
        # The next run completes the work: every customer once, nothing twice, nothing left.
        engine = Engine(config, hooks)
        report = engine.run_pair("store")
        assert report.status == "ok", report.errors
        emails = sorted(c["email"] for c in state.clients.live())
        assert emails == sorted(f"term{n}@example.com" for n in range(CUSTOMERS))
        assert engine.store.intents("store") == []
        assert engine.store.links_count("store") == CUSTOMERS
        engine.close()
    finally:
        server.stop()


def test_sigterm_between_runs_exits_at_once(tmp_path: Path):
    state = ClientbookState(api_key="term-key")
    server = BackgroundServer(make_app(state)).start()
    EdgeFake(tmp_path / "edt").run_cycle()
    cfg = edge_clientbook_toml(tmp_path, server.url, "term-key")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "framework.cli", "-c", str(cfg), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # waits until the first round is over
            if line.startswith("next run in"):
                break
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert time.monotonic() - started < 10, "not the 15 minutes of the interval"
    finally:
        if proc.poll() is None:
            proc.kill()
        server.stop()
    assert proc.returncode == 0, err
    assert "stopped on request between runs" in err
