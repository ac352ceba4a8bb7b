"""Recorded traffic: record a connector's real HTTP once, replay it with the server gone.

The "real" system is the Clientbook fake served by uvicorn on 127.0.0.1 (real sockets,
httpx's real transport), standing in for a vendor sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from vcr.errors import CannotOverwriteExistingCassetteException

from conformance.hostile import hostile_subject
from conformance.probe import Probe
from conformance.samples import customer
from conformance.vcr import cassette, check_feed, recording, sandbox_probe
from fakes.clientbook import ClientbookState, make_app
from fakes.toolkit import BackgroundServer

SECRET = "sk-live-do-not-leak-42"


@pytest.fixture
def sandbox():
    state = ClientbookState(api_key=SECRET)
    for i in range(5):
        state.create_client({"first_name": f"Rec{i}", "email": f"rec{i}@example.com"}, "as_12")
    server = BackgroundServer(make_app(state)).start()
    yield server
    server.stop()


@pytest.mark.rule("G-2")
def test_a_recorded_feed_replays_offline_without_credentials(sandbox, tmp_path: Path):
    path = tmp_path / "cassettes" / "clientbook-feed.yaml"
    real = {"base_url": sandbox.url, "api_key": SECRET}
    with cassette(path, record=True):
        live = sandbox_probe("clientbook", real, tmp_path / "live")
        assert check_feed(live, "customer") == []
        recorded = live.read("customer").ids()
        live.close()
    sandbox.stop()  # the vendor is gone: only the cassette answers now
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text, "the credential was scrubbed from the cassette"
    assert "rec4@example.com" in text

    placeholder = {"base_url": sandbox.url, "api_key": "replay-placeholder"}
    with cassette(path, record=False):
        offline = sandbox_probe("clientbook", placeholder, tmp_path / "offline")
        assert check_feed(offline, "customer") == []
        assert offline.read("customer").ids() == recorded
        with pytest.raises(CannotOverwriteExistingCassetteException):
            offline.read("customer", limit=1)  # a request never recorded
        offline.close()


@pytest.mark.rule("G-2")
def test_check_feed_reports_a_feed_that_loses_records_between_pages(tmp_path: Path):
    probe = Probe(hostile_subject("lossy_paging"), tmp_path)
    for i in range(5):
        probe.driver.add("customer", customer(f"p{i}"))
    problems = check_feed(probe, "customer")
    probe.close()
    assert problems, "the lost record is reported"
    assert "differs from a full read" in problems[0]


def test_recording_is_switched_by_the_environment(monkeypatch):
    monkeypatch.delenv("SYNCWRIGHT_RECORD", raising=False)
    assert not recording()
    monkeypatch.setenv("SYNCWRIGHT_RECORD", "1")
    assert recording()
