"""The benchmark's own code at a tiny size, so it cannot rot unseen (its figures are not checked
here: performance targets live in the benchmark, never in timed tests)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from benchmarks.floor import replay
from benchmarks.pairs import PAIRS, clientbook_state
from benchmarks.phase import IN_PROCESS_URL
from benchmarks.report import cpu_line, incremental_rows, latency_rows, markdown, upload_rows
from benchmarks.runner import Bench, Options
from benchmarks.store import parse_size, size_label
from fakes.clientbook import make_app
from fakes.toolkit import SyncASGITransport

SIZE = 50
INFO = {"date": "today", "machine": "m", "os": "o", "python": "p", "commit": "c", "versions": "v"}
"""The run's description a report is given in these tests."""


pytestmark = pytest.mark.slow  # builds the benchmark's worlds once, for every test here


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench") / "work"


@pytest.fixture(scope="module")
def results(work: Path) -> dict:
    # No latency runs: they wait on purpose. One request in flight, so the floor sends in the
    # engine's order and must get the same answers (with more, a request may overtake what it
    # refers to: the floor's concurrent replay is tested below).
    options = Options(
        size=SIZE,
        work=work,
        rate_limit="20/1",
        rate_seconds=1.5,
        latency=0,
        in_flight=(1,),
        log=lambda text: None,
    )
    return Bench(options).run()


def test_every_generated_record_is_uploaded_in_both_variants(results: dict):
    assert results["records"] == sum(results["store"].values()) > SIZE
    for variant, measured in results["upload"].items():
        engine = measured["engine"]
        assert engine["errors"] == [], variant
        for entity, count in results["store"].items():
            created = engine["counts"].get(f"{entity}.create.platform", 0)
            assert created == count, (variant, entity)
    for row in upload_rows(results):
        assert row["moved"] == results["records"]
        assert row["calls"] > 0
        assert 0 < row["calls_per_record"] < 1, "customers go up in batches"
        assert row["seconds"] > 0
        assert row["floor_seconds"] > 0
        assert row["peak_rss_mb"] > 10


def test_the_floor_sends_what_the_engine_sent_and_gets_the_same_answers(results: dict):
    for variant, measured in results["upload"].items():
        engine, floor = measured["engine"]["requests"], measured["floor"]
        assert floor["requests"] == engine["count"], variant
        assert floor["bytes_sent"] == engine["bytes_sent"] > 0, variant
        assert floor["statuses"] == engine["statuses"], variant


def test_the_floor_replays_with_several_requests_in_flight(results: dict, work: Path):
    """Every recorded request is sent once, with the same bodies, whatever is in flight."""
    recording = work / "upload-in-process.requests"
    transport = SyncASGITransport(make_app(clientbook_state()))
    with httpx.Client(base_url=IN_PROCESS_URL, transport=transport) as client:
        done = replay(recording, client, in_flight=4)
    engine = results["upload"]["in-process"]["engine"]["requests"]
    assert done.requests == engine["count"]
    assert done.bytes_sent == engine["bytes_sent"]
    assert done.statuses.total() == engine["count"]


def test_incremental_runs_read_what_changed_and_nothing_more(results: dict):
    rows = {r["run"]: r for r in incremental_rows(results)}
    assert rows["read-back of the upload"]["read"] >= SIZE
    assert rows["read-back of the upload"]["moved"] == 0, "the upload read back is an echo"
    for quiet in ("nothing changed", "nothing changed, again"):
        assert rows[quiet]["moved"] == rows[quiet]["read"] == 0
        assert rows[quiet]["most_pages_per_feed"] == 1
        assert 0 < rows[quiet]["calls"] <= 4, "one page of each Clientbook feed"
    changed = rows["1% changed"]
    assert changed["changed"] == {"pos": 1, "platform": 1}
    assert 1 <= changed["moved"] <= 2
    assert all(not r["errors"] for r in rows.values())


def test_the_rate_limited_run_is_measured(results: dict):
    rate = results["rate_limit"]
    assert rate["allowed_per_second"] == 20
    assert rate["cap_per_minute"] == 1200
    for window in (rate["start"], rate["steady"]):
        assert window["requests"] > 0
        assert 0 < window["efficiency"] < 2
        assert 0 <= window["share_429"] < 1


def test_the_cpu_of_each_process_is_measured(results: dict):
    # What bounds the upload: the engine's process, the fake's server, the floor's client.
    uvicorn = results["upload"]["uvicorn"]
    for run in (uvicorn["engine"], uvicorn["floor"]):
        assert 0 < run["cpu_seconds"] < 2 * run["seconds"] + 1  # two cores at most
        assert 0 < run["server_cpu_seconds"] < 2 * run["seconds"] + 1
    assert results["upload"]["in-process"]["engine"]["cpu_seconds"] > 0
    line = cpu_line(results)
    assert line is not None
    assert line.startswith("CPU over uvicorn: engine process ")
    assert "floor client" in line
    engine_ms = uvicorn["engine"]["cpu_seconds"] / results["records"] * 1000
    assert f"per record {engine_ms:.2f} ms of CPU in the engine's process" in line
    assert line in markdown(results, INFO)
    # The main thread's share and the bound of any design on this machine (README, "What is
    # left"): the main thread is part of the process, and the figures are the run's own.
    engine, floor = uvicorn["engine"], uvicorn["floor"]
    assert 0 < engine["main_thread_cpu_seconds"] <= engine["cpu_seconds"]
    main = engine["main_thread_cpu_seconds"]
    assert f"the engine's main thread {main:.1f} s ({main / floor['seconds']:.2f} x" in line
    spread = (engine["cpu_seconds"] + engine["server_cpu_seconds"]) / results["cpus"]
    assert f"over {results['cpus']} cores without loss {spread:.1f} s" in line
    assert f"({spread / floor['seconds']:.2f} x the floor)" in line
    older = {**results, "upload": {"uvicorn": {"engine": {"seconds": 1.0}, "floor": {}}}}
    assert cpu_line(older) is None  # results recorded before it: no line, no error
    kept = {k: v for k, v in engine.items() if k != "main_thread_cpu_seconds"}
    before = {**results, "upload": {"uvicorn": {"engine": kept, "floor": floor}}}
    assert cpu_line(before) == line.split("; the engine's main thread")[0]


def test_the_report_names_the_size_and_every_phase(results: dict):
    text = markdown(results, INFO)
    assert text.startswith(f"## {SIZE} customers")
    for word in ("in-process", "uvicorn", "nothing changed", "1% changed", "rate limit"):
        assert word in text


# -- the other bundled pairs (--pair) ------------------------------------------------------------

OTHER_PAIRS = [name for name in PAIRS if name != "edge-clientbook"]
PAIR_SIZE = 20
BATCHED = {"edge-square", "fk-idosell"}  # the platforms with batch endpoints for customers


@pytest.fixture(scope="module", params=OTHER_PAIRS)
def pair_results(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    # A latency of 2 ms and one request in flight: the latency runs' code runs (with its
    # floor) without waiting long, and the floors send in the engine's order. Podium's run
    # has no rate-limited run (--rate-seconds 0): the latency runs still run.
    options = Options(
        size=PAIR_SIZE,
        work=tmp_path_factory.mktemp(request.param) / "work",
        rate_limit="20/1",
        rate_seconds=0 if request.param == "edge-podium" else 1.0,
        latency=0.002,
        in_flight=(1,),
        log=lambda text: None,
        pair=request.param,
    )
    return Bench(options).run()


def test_every_bundled_pair_can_be_benchmarked():
    assert set(PAIRS) == {"edge-clientbook", "edge-podium", "edge-square", "fk-idosell"}


def test_each_pair_uploads_every_record_of_its_flows(pair_results: dict):
    pair = PAIRS[pair_results["pair"]]
    assert set(pair_results["store"]) == set(pair.entities)
    assert pair_results["store"]["customer"] == PAIR_SIZE
    phases = [m["engine"] for m in pair_results["upload"].values()]
    phases += [m["engine"] for m in pair_results["latency"]["by_in_flight"].values()]
    for engine in phases:
        assert engine["errors"] == []
        assert engine["deferred"] == 0, "the upload runs until nothing is left for later"
        for entity, count in pair_results["store"].items():
            assert engine["counts"].get(f"{entity}.create.platform", 0) == count, entity
    for row in upload_rows(pair_results):
        assert row["moved"] == pair_results["records"]
        assert row["seconds"] > 0
        assert row["floor_seconds"] > 0
        assert row["peak_rss_mb"] > 10
        assert row["calls"] > 0


def test_each_pairs_floor_sends_what_the_engine_sent(pair_results: dict):
    runs = list(pair_results["upload"].values())
    runs += list(pair_results["latency"]["by_in_flight"].values())
    for measured in runs:
        engine, floor = measured["engine"]["requests"], measured["floor"]
        assert floor["requests"] == engine["count"]
        assert floor["bytes_sent"] == engine["bytes_sent"] > 0
        assert floor["statuses"] == engine["statuses"], "the same answers: same work"
    assert all(r["same_statuses"] for r in latency_rows(pair_results))


def test_batch_platforms_get_customers_in_batches(pair_results: dict):
    """Square and IdoSell take customers in batches: no route is called once per customer;
    Podium has no batch endpoint: one create a contact."""
    routes = pair_results["upload"]["uvicorn"]["engine"]["requests"]["by_route"]
    if pair_results["pair"] in BATCHED:
        assert max(routes.values()) < PAIR_SIZE / 4, routes
    else:
        assert routes["POST /{id}/contacts"] == PAIR_SIZE, routes


def test_each_pairs_report_names_it(pair_results: dict):
    text = markdown(pair_results, INFO)
    pair = PAIRS[pair_results["pair"]]
    assert text.startswith(f"## {pair.name}, {PAIR_SIZE} customers")
    assert f"| upload, {pair.label} |" in text
    assert "ms latency |" in text
    assert ("rate limit" in text) == (pair.name != "edge-podium")
    assert "incremental run" not in text, "the incremental runs edit Clientbook"


def test_sizes():
    assert parse_size("10k") == 10_000
    assert parse_size("250") == 250
    assert size_label(100_000) == "100k"
    with pytest.raises(ValueError, match="--size"):
        parse_size("huge")


def test_the_work_folder_is_the_ignored_one():
    ignored = (Path(__file__).parent.parent / ".gitignore").read_text()
    assert "benchmarks/.work/" in ignored


def test_the_console_benchmark_asks_every_page(tmp_path: Path):
    from benchmarks import console

    results = console.measure(tmp_path, 300, 2_000, 1, lambda text: None, 3_000)
    assert [r[0] for r in results][:2] == ["Overview", "Runs"]
    assert len(results) == len(console.pages(300))
    text = console.markdown(300, 2_000, 1, results, "tiny", 3_000)
    assert "| Duplicates (500 groups) |" in text
    assert "| Record, both sides, history |" in text
    assert "3000 history entries" in text


def test_the_console_benchmark_on_postgres_holds_the_same_state(tmp_path: Path):
    from benchmarks import console
    from framework.state.postgres import PostgresStore
    from tests.services import postgres_schema

    for made in postgres_schema():
        state = {"url": made.url, "schema": made.schema, "tenant": "shop"}
        results = console.measure(tmp_path, 300, 2_000, 1, lambda text: None, 3_000, state)
        assert len(results) == len(console.pages(300))
        store = PostgresStore(made.url, schema=made.schema, tenant="shop")
        try:  # the copy: every link and history entry, the shared keys filled (SQ-2)
            assert store.links_count("store") == 300
            assert store.history_count() == 3_000
            assert len(store.shared_keys("store", "customer", "platform", ["email"])) == 300
        finally:
            store.close()
        text = console.markdown(300, 2_000, 1, results, "", 3_000, "PostgreSQL")
        assert "state (PostgreSQL)" in text


def test_a_profiled_run_counts_and_times_the_stores_statements(tmp_path: Path):
    from benchmarks.sqlstats import StatementTimer
    from framework.state.sqlite import SQLiteStore

    timer = StatementTimer()
    timer.install()
    try:
        store = SQLiteStore(tmp_path / "state.db")
        for cursor in ("a", "b", "c"):
            store.stage("store", "customer", "pos", [], cursor, False)
        store.close()
    finally:
        timer.uninstall()
    stats = timer.top()
    upserts = [row for row in stats["top"] if row["sql"].startswith("INSERT INTO cursors")]
    assert [row["count"] for row in upserts] == [3], stats["top"]
    assert stats["statements"] > 3
    assert stats["seconds"] > 0
    SQLiteStore(tmp_path / "other.db").close()  # opened after: not timed any more
    assert timer.top()["statements"] == stats["statements"]
