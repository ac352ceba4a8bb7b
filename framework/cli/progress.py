"""A rich progress display fed by the engine's progress events (G-2: long uploads show progress)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class RunProgress:
    """One bar per phase and entity: fetch, reconcile, apply."""

    def __init__(self, console: Console):
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[tuple[str, str], TaskID] = {}

    def __enter__(self) -> RunProgress:
        self.progress.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.__exit__(kind, exc, tb)

    def __call__(self, phase: str, entity: str, done: int, total: int | None) -> None:
        """Update the bar of (phase, entity)."""
        key = (phase, entity)
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(f"{phase} {entity}", total=total)
        self.progress.update(self.tasks[key], completed=done, total=total)
