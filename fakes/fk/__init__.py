"""Fake F/K programs: SQLite databases with Subiekt GT's, WF-MAG's or a generic program's tables.

Written from ``docs/fk-database.md``; the F/K connector reaches them only through SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakes.fk.database import FkDatabase
from fakes.fk.schema import FLAVOURS
from fakes.polish import kontrahenci


def seeded(path: str | Path, flavour: str = "subiekt_gt", n: int = 0, seed: int = 48) -> FkDatabase:
    """A fake F/K database at ``path`` holding ``n`` made-up customers."""
    db = FkDatabase(path, flavour)
    for k in kontrahenci(n, seed):
        db.add(k)
    return db


def serve(options: dict[str, Any]) -> None:
    """``syncwright fake serve fk``: create a seeded Subiekt GT database in ``--folder``.

    An F/K program is reached through its database, so there is nothing to serve: the file
    is what a configuration's ``url = "sqlite:///…"`` points at.
    """
    folder = Path(options.get("folder") or ".")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "subiekt.db"
    db = seeded(path, "subiekt_gt", int(options.get("seed") or 0))
    print(f"fake Subiekt GT database with {db.count()} customers: sqlite:///{path}", flush=True)
    db.close()


__all__ = ["FLAVOURS", "FkDatabase", "seeded", "serve"]
