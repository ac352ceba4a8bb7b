"""The store's timestamps: ``datetime.now(UTC).isoformat()``, formatted for less (issue 17)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from framework.state import sqlite

# Microseconds since the epoch: 0 (``isoformat`` writes none), a leap day, the last
# microsecond of a year, the next one, and two in the same second (formatted once).
MOMENTS = [
    0,
    951_782_400_000_000,
    1_704_067_199_999_999,
    1_704_067_200_000_000,
    1_796_000_000_000_001,
    1_796_000_000_500_000,
]


@pytest.mark.parametrize("micros", MOMENTS)
def test_now_is_isoformat_of_the_same_moment(micros: int, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(time, "time_ns", lambda: micros * 1000 + 999)
    expected = dt.datetime.fromtimestamp(0, dt.UTC) + dt.timedelta(microseconds=micros)
    assert sqlite._now() == expected.isoformat()
    assert dt.datetime.fromisoformat(sqlite._now()) == expected


def test_now_follows_the_clock():
    before = dt.datetime.now(dt.UTC)
    now = dt.datetime.fromisoformat(sqlite._now())
    assert before <= now <= dt.datetime.now(dt.UTC)
