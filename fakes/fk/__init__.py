"""Fake F/K programs: SQLite databases with Subiekt GT's, WF-MAG's or a generic program's tables.

Written from ``docs/fk-database.md``; the F/K connector reaches them only through SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from fakes.fk.database import FkDatabase
from fakes.fk.schema import FLAVOURS
from fakes.polish import kontrahenci
from fakes.toolkit.options import Fake, FolderFakeOptions


def seeded(path: str | Path, flavour: str = "subiekt_gt", n: int = 0, seed: int = 48) -> FkDatabase:
    """A fake F/K database at ``path`` holding ``n`` made-up customers."""
    db = FkDatabase(path, flavour)
    for k in kontrahenci(n, seed):
        db.add(k)
    return db


FILES = {"subiekt_gt": "subiekt.db", "wf_mag": "wf-mag.db", "generic": "generic.db"}


class FkOptions(FolderFakeOptions):
    """``syncwright fake serve fk`` options."""

    folder: Path = Field(Path("."), description="The folder the database file is made in")
    flavour: Literal["subiekt_gt", "wf_mag", "generic"] = Field(
        "subiekt_gt", description="Which program's tables (Subiekt GT, WF-MAG, generic)"
    )


def build(options: FkOptions) -> Path:
    """Make the seeded database ``options`` ask for; returns its file."""
    options.folder.mkdir(parents=True, exist_ok=True)
    path = options.folder / FILES[options.flavour]
    db = seeded(path, options.flavour, options.seed)
    print(f"fake {options.flavour} database with {db.count()} customers: sqlite:///{path}")
    db.close()
    return path


fake = Fake("fk", "an F/K program's SQLite database (made, not served)", FkOptions, build)


def serve(options: dict[str, Any]) -> None:
    """``syncwright fake serve fk``: create a seeded F/K database in ``--folder``.

    An F/K program is reached through its database, so there is nothing to serve: the file
    is what a configuration's ``url = "sqlite:///…"`` points at.
    """
    fake.serve(options)


__all__ = ["FLAVOURS", "FkDatabase", "FkOptions", "build", "fake", "seeded", "serve"]
