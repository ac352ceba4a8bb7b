"""Stopping ``syncwright run`` cleanly on SIGTERM (systemd, docker, a service manager).

On SIGTERM (and Ctrl-Break, ``SIGBREAK``, on Windows) the engine's stop event is set: the
run finishes the record in hand, settles what was written, records itself as
``stopped`` and the command exits 0. What is left stays staged or journaled; the next run
carries on from there, nothing lost. Ctrl-C (SIGINT) still interrupts at once: the journal
makes that safe too, the next run replays what was in flight.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

log = logging.getLogger("syncwright.cli")

STOP_SIGNALS = [
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGBREAK", None)) if s
]


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGTERM (SIGBREAK) while the block runs; then restore the handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (tests call commands from threads)
        return

    def handler(number: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            log.warning("%s: stopping after the record in hand", signal.Signals(number).name)
        stop.set()

    previous: dict[int, Any] = {}
    for number in STOP_SIGNALS:
        previous[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
