"""The SQLite store's connection settings that its speed and safety rest on (issue 17)."""

from __future__ import annotations

from pathlib import Path

from framework.state.sqlite import SQLiteStore


def test_a_store_file_runs_in_wal_mode_with_its_undo_copies_in_memory(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    try:
        db = store._db
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: safe under WAL
        # Each record's savepoint keeps undo copies of the pages it touches: on disk they
        # were written to temporary files (1.35 GB for a 10k upload); in memory (2).
        assert db.execute("PRAGMA temp_store").fetchone()[0] == 2
    finally:
        store.close()


def test_a_savepoint_rolled_back_in_memory_leaves_the_transaction_whole(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    try:
        with store.transaction():
            store._db.execute("INSERT INTO meta VALUES ('kept', '1')")
            try:
                with store.savepoint():
                    store._db.execute("INSERT INTO meta VALUES ('undone', '1')")
                    raise ValueError("a bad record")
            except ValueError:
                pass
        keys = {row[0] for row in store._db.execute("SELECT key FROM meta")}
        assert "kept" in keys
        assert "undone" not in keys
    finally:
        store.close()
