"""The engine on the PostgreSQL store: the same runs, kills and leases as on SQLite.

The store contract (``test_store_contract.py``) holds each method to SQLite's behaviour;
here the real engine runs against the fakes with its state in PostgreSQL: a sync both
ways, kill-and-resume (SIGKILL at random moments and right after writes) compared with an
uninterrupted run, and a killed lease holder taken over. Skipped in one line without a
PostgreSQL server (required in CI).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from framework.engine.lease import run_states
from framework.state.postgres import PostgresStore
from tests.crash import WRITES, CrashWorld, Snapshot
from tests.harness import World
from tests.services import PgSchema

EDGE, CLIENTBOOK, SHARED = 300, 60, 15


def crash_world(tmp: Path, pg: PgSchema | None) -> CrashWorld:
    return CrashWorld(
        tmp, edge_customers=EDGE, clientbook_clients_n=CLIENTBOOK, shared=SHARED, state=pg
    )


def settle(world: CrashWorld, runs: int = 3) -> Snapshot:
    for _ in range(runs):
        world.edge.run_cycle()
        attempt = world.run()
        assert attempt.returncode == 0, attempt.output[-3000:]
    return world.snapshot()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """The same store synced without interruption, on SQLite (the reference store)."""
    world = crash_world(tmp_path_factory.mktemp("reference"), None)
    try:
        result = settle(world, 4)
    finally:
        world.close()
    assert result.pending == {"journal": 0, "inbox": 0}
    return result


@pytest.mark.rule("G-1", "G-2", "G-4")
def test_a_store_syncs_both_ways_with_its_state_in_postgres(tmp_path: Path, pg: PgSchema):
    world = World(tmp_path, settings={"state": pg.state("shop-1")})
    try:
        assert isinstance(world.engine.store, PostgresStore)
        world.edge.add_customer("Ada", "Lovelace", emails=[("Home", "ada@example.com")])
        world.settle()
        client = world.client_by_email("ada@example.com")
        world.cb.update_client(client["id"], {"email": "augusta@example.com"}, "as_12")
        world.settle()
        [key] = [k for k, c in world.edge.customers.items() if c["CustomerLastName"] == "Lovelace"]
        assert "augusta@example.com" in world.edge_emails(key)
        assert world.client_of(key)["id"] == client["id"]
        report = world.sync()
        assert report.status == "ok"
        assert not any(report.counts.values()), report.counts
        assert world.engine.store.links_count("store", "customer") == 1
    finally:
        world.close()


@pytest.mark.slow
@pytest.mark.rule("G-2", "G-5", "G-6")
def test_killed_at_random_then_resumed_on_postgres_equals_the_reference(
    tmp_path: Path, pg: PgSchema, reference: Snapshot
):
    world = crash_world(tmp_path, pg)
    rnd = random.Random(19)
    kills = 0
    try:
        world.edge.run_cycle()
        for _ in range(12):  # killed early in the upload, again in each resumed run
            if rnd.random() < 0.5:
                attempt = world.run_killed_after(rnd.uniform(0.05, 0.8))
            else:
                attempt = world.run_killed_at_call(1, WRITES)
            kills += attempt.killed
            assert attempt.killed or attempt.returncode in (0, 1), attempt.output[-3000:]
            if kills >= 4 or not attempt.killed:
                break
        differences = settle(world, 4).differences(reference)
    finally:
        world.close()
    assert differences == [], "\n".join(differences)
    assert kills >= 2, f"only {kills} kills landed inside a run"


@pytest.mark.slow
@pytest.mark.rule("G-5", "G-6")
def test_a_killed_holder_on_postgres_is_taken_over_and_its_journal_replayed(
    tmp_path: Path, pg: PgSchema, reference: Snapshot
):
    world = crash_world(tmp_path, pg)
    try:
        world.edge.run_cycle()
        attempt = world.run_killed_at_call(1, WRITES)
        assert attempt.killed, attempt.output[-3000:]
        store = PostgresStore(pg.url, schema=pg.schema, tenant="shop")
        try:
            shown = run_states(store, store.runs("store"))
            assert shown[0].status == "interrupted", "a dead run shows as interrupted"
        finally:
            store.close()
        attempt = world.run()
        assert attempt.returncode == 0, attempt.output[-3000:]
        assert "took over the lease" in attempt.output
        with world.connect() as db:
            statuses = [r[0] for r in db.execute("SELECT status FROM runs ORDER BY id")]
        assert statuses == ["interrupted", "ok"], statuses
        differences = settle(world, 4).differences(reference)
        assert differences == [], "\n".join(differences)
    finally:
        world.close()


def test_db_upgrade_then_status_and_problems_of_one_store_by_tenant(
    tmp_path: Path, pg: PgSchema, capfd: pytest.CaptureFixture[str]
):
    import psycopg
    import typer

    from framework.cli.app import add_plugin_commands, app
    from framework.cli.errors import run_cli

    def cli(*args: str) -> tuple[int, str, str]:
        add_plugin_commands()
        code = run_cli(typer.main.get_command(app), list(args))
        out, err = capfd.readouterr()
        return code, out, err

    fresh = f"{pg.schema}_new"
    config = tmp_path / "store.toml"
    config.write_text(f'[state]\nurl = "{pg.url}"\nschema = "{fresh}"\n', encoding="utf-8")
    try:
        code, out, err = cli("-c", str(config), "status")
        assert code == 2
        assert "run `syncwright db upgrade`" in err
        code, out, err = cli("-c", str(config), "db", "upgrade")
        assert code == 0, err
        assert "applied 0001 initial" in out
        assert "applied 0002 fleet" in out
        code, out, err = cli("-c", str(config), "db", "upgrade")
        assert "up to date" in out
        code, out, err = cli("-c", str(config), "db", "status")
        assert "up to date" in out
    finally:
        with psycopg.connect(pg.url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {fresh} CASCADE")

    world = World(tmp_path / "w", settings={"state": pg.state("shop-7")})
    try:
        world.edge.add_customer("Ada", "Lovelace", emails=[("Home", "ada@example.com")])
        world.settle()
        world.engine.store.add_problem("store", "customer", "pos", "9", "G-3", "ambiguous", None)
    finally:
        world.close()
    toml = tmp_path / "w.toml"
    toml.write_text(f'[state]\nschema = "{pg.schema}"\n', encoding="utf-8")
    base = ["-c", str(toml), "--store", pg.url]
    code, out, err = cli(*base, "--tenant", "shop-7", "status")
    assert code == 0, err
    assert "1 open problem(s)" in out
    assert "ok" in out
    code, out, err = cli(*base, "--tenant", "shop-7", "problems")
    assert "ambiguous" in out
    code, out, err = cli(*base, "--tenant", "shop-8", "status")
    assert "0 open problem(s)" in out, "another store's state is not this one's"
