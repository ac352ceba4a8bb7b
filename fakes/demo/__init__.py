"""Demos: fakes seeded with realistic data, synced by the real engine, shown with the rules.

A demo works in a folder (``syncwright demo --folder DIR``, else a new temporary one) and
leaves it there: the fake Edge's exchange or the fake F/K database, the state store, and
the demo's ``syncwright.toml``, so the commands it names at the end (``status``,
``problems``, ``find``…) can be run on what it did. The fake platforms live in memory and
are gone when the demo ends; those commands read the state store only.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import tomli_w
from rich.console import Console

from framework.errors import ConfigError


def demo_folder(folder: Path | None) -> Path:
    """The folder the demo works in: ``folder`` (absent or empty), else a new temporary one."""
    if folder is None:
        return Path(tempfile.mkdtemp(prefix="syncwright-demo-"))
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConfigError(f"--folder {folder}: not an empty folder (a demo starts afresh)")
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def save_config(folder: Path, data: dict[str, Any]) -> Path:
    """Write the demo's configuration beside its state (the fakes' demo keys are not secret)."""
    path = folder / "syncwright.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def tell_where(console: Console, folder: Path, find: str | None = None) -> None:
    """Name the demo's folder and the commands that look at what it did."""
    config = folder / "syncwright.toml"
    console.rule("[bold]what the demo left")
    console.print(
        f"The demo's state is kept in {folder}; look at it with:", highlight=False, soft_wrap=True
    )
    commands = ["status", "problems", "duplicates"]
    if find:
        commands.append(f'find "{find}"')
    for command in commands:
        console.print(f"  syncwright -c {config} {command}", highlight=False, soft_wrap=True)
    console.print(
        f"Delete the folder when you are done: rm -r {folder}", highlight=False, soft_wrap=True
    )
