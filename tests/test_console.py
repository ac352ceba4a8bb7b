"""The console over HTTP (Starlette's TestClient): log-in, roles, CSRF, headers, secrets,
and the operations of each page against the real engine and the fakes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient
from typer.testing import CliRunner

from framework.cli.app import app as cli
from framework.console import operator_pages, pages
from framework.engine.duplicates import find_duplicates
from tests.console_world import (
    PASSWORDS,
    SECRET,
    console_for,
    csrf_of,
    fix_broken_email,
    logged_in,
    troubled_world,
)
from tests.square_world import SquareWorld

GET_PAGES = [
    "/",
    "/runs",
    "/runs/1",
    "/problems",
    "/records?q=noa",
    "/duplicates",
    "/run-now",
    "/plan",
]
POSTS = sorted(
    {
        r.path
        for r in [*pages.ROUTES, *operator_pages.ROUTES]
        if isinstance(r, Route) and "POST" in (r.methods or ())
    }
)


@pytest.fixture
def troubled(tmp_path: Path) -> Iterator[tuple[SquareWorld, str, TestClient]]:
    world, bad = troubled_world(tmp_path)
    app = console_for(world)
    with TestClient(app) as client:
        yield world, bad, client
    app.state.console.close()
    world.close()


def wait_for_run(client: TestClient, pair: str = "store", timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.app.state.console.jobs.latest.get(pair)  # type: ignore[attr-defined]
        if job is not None and job.done.wait(0.1):
            return str(job.state)
    raise AssertionError("the run started from the console did not end")


def problem_ids(client: TestClient) -> list[int]:
    return [p.id for p in client.app.state.console.engine.store.problems()]  # type: ignore[attr-defined]


# -- logging in ------------------------------------------------------------------------------


def test_every_page_asks_for_a_log_in_first(troubled):
    _, _, client = troubled
    for path in GET_PAGES:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login"), path


def test_a_wrong_password_is_refused_and_the_right_one_lets_in(troubled):
    _, _, client = troubled
    page = client.get("/login")
    wrong = client.post(
        "/login", data={"csrf": csrf_of(page.text), "name": "olga", "password": "nope"}
    )
    assert wrong.status_code == 401
    assert "wrong name or password" in wrong.text
    unknown = client.post(
        "/login", data={"csrf": csrf_of(page.text), "name": "mallory", "password": "x"}
    )
    assert unknown.status_code == 401
    assert client.get("/", follow_redirects=False).status_code == 303, "still not in"
    logged_in(client, "olga")
    overview = client.get("/")
    assert overview.status_code == 200
    assert "store" in overview.text
    assert "olga" in overview.text


def test_log_out_ends_the_session(troubled):
    _, _, client = troubled
    logged_in(client, "vic")
    page = client.get("/")
    answer = client.post("/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_token_from_the_environment_logs_in_an_operator(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNCWRIGHT_CONSOLE_TOKEN", "a-long-console-token")
    world = SquareWorld(tmp_path)
    app = console_for(world)
    with TestClient(app) as client:
        page = client.get("/login")
        answer = client.post(
            "/login",
            data={"csrf": csrf_of(page.text), "name": "", "password": "a-long-console-token"},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert "operator" in client.get("/").text
        for path in GET_PAGES:
            assert "a-long-console-token" not in client.get(path).text
    app.state.console.close()
    world.close()


# -- CSRF, roles, headers, secrets ----------------------------------------------------------------


def test_every_post_without_the_csrf_token_is_refused(troubled):
    _, _, client = troubled
    logged_in(client, "olga")
    before = problem_ids(client)
    assert len(POSTS) >= 6
    for path in POSTS:
        answer = client.post(path, data={"id": str(before[0]), "pair": "store"})
        assert answer.status_code == 403, path
        assert "CSRF" in answer.text, path
        forged = client.post(path, data={"csrf": "forged", "id": str(before[0])})
        assert forged.status_code == 403, path
    assert problem_ids(client) == before, "nothing was done"
    assert client.app.state.console.jobs.latest == {}  # type: ignore[attr-defined]


def test_a_viewer_sees_no_buttons_and_every_change_is_refused(troubled):
    world, _, client = troubled
    logged_in(client, "vic")
    problems = client.get("/problems")
    assert problems.status_code == 200
    assert "Noa" in client.get("/duplicates").text
    for button in ('class="retry"', 'class="retry-group"', 'class="resolve"'):
        assert button not in problems.text
    group = find_duplicates(world.engine, "store")[0]
    preview = client.get(
        "/duplicates/preview",
        params={"pair": "store", "side": "platform", "survivor": group.ids[1], "other": group.ids},
    )
    assert preview.status_code == 200
    assert 'class="merge' not in preview.text
    assert 'class="run"' not in client.get("/run-now").text
    csrf = csrf_of(problems.text)
    before = problem_ids(client)
    for path in POSTS:
        if path in ("/login", "/logout"):
            continue
        answer = client.post(
            path,
            data={
                "csrf": csrf,
                "id": str(before[0]),
                "pair": "store",
                "side": "platform",
                "survivor": group.ids[1],
                "other": group.ids[0],
                "fingerprint": "x",
            },
        )
        assert answer.status_code == 403, path
        assert "viewer" in answer.text, path
    assert problem_ids(client) == before
    assert len(list(world.sq.customers.live())) == 5, "nothing merged"


def test_every_answer_carries_the_security_headers(troubled):
    _, _, client = troubled
    for answer in (client.get("/login"), logged_in(client, "vic").get("/problems")):
        headers = answer.headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"
    cookie = client.cookies.jar
    assert any(c.name == "syncwright_console" for c in cookie)


def test_the_session_cookie_is_signed_and_samesite(troubled):
    _, _, client = troubled
    page = client.get("/login")
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    assert "httponly" in page.headers["set-cookie"].lower()
    client.cookies.set("syncwright_console", "eyJ1c2VyIjp7Im5hbWUiOiJvbGdhIn19.forged.sig")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_no_page_shows_a_configured_secret_or_a_password_hash(troubled):
    world, _, client = troubled
    logged_in(client, "olga")
    hashes = [u.password_hash.get_secret_value() for u in world.config.console.users] or []
    shown = [client.get(path).text for path in [*GET_PAGES, "/login"]]
    assert all(SECRET not in page for page in shown)
    assert all(PASSWORDS["olga"] not in page for page in shown)
    assert all(h not in page for page in shown for h in hashes)


# -- the operations -------------------------------------------------------------------------------


@pytest.mark.rule("G-5")
def test_a_problem_retried_from_the_page_after_the_fix_closes(troubled):
    world, bad, client = troubled
    logged_in(client, "olga")
    page = client.get("/problems")
    assert bad in page.text
    assert "invalid e-mail address" in page.text
    [problem] = [p for p in world.engine.store.problems() if p.record_id == bad]
    fix_broken_email(world, bad)
    answer = client.post("/problems/retry", data={"csrf": csrf_of(page.text), "id": problem.id})
    assert answer.status_code == 200
    assert f"problem {problem.id}:" in answer.text
    assert wait_for_run(client) == "ok"
    assert problem.id not in problem_ids(client)
    assert bad not in client.get("/problems").text
    assert any(c.get("email_address") == "bea@example.com" for c in world.sq.customers.live())
    # The same form again (another person, or the back button): one clear line, nothing done.
    again = client.post("/problems/retry", data={"csrf": csrf_of(page.text), "id": problem.id})
    assert again.status_code == 400
    assert f"problem {problem.id} is not open" in again.text


@pytest.mark.rule("G-5")
def test_a_problem_resolved_by_hand_is_closed(troubled):
    _, _, client = troubled
    logged_in(client, "olga")
    page = client.get("/problems")
    first = problem_ids(client)[0]
    answer = client.post("/problems/resolve", data={"csrf": csrf_of(page.text), "id": first})
    assert answer.status_code == 200
    assert f"problem {first} resolved by hand" in answer.text
    assert first not in problem_ids(client)


def test_run_now_is_refused_while_another_process_holds_the_pair(troubled):
    world, _, client = troubled
    logged_in(client, "olga")
    page = client.get("/run-now")
    with world.engine.lease("store"):
        busy = client.get("/run-now")
        assert "Running now" in busy.text
        assert 'class="run"' not in busy.text
        refused = client.post("/run-now", data={"csrf": csrf_of(page.text), "pair": "store"})
        assert refused.status_code == 409
        assert "is being run by" in refused.text
    assert client.app.state.console.jobs.latest == {}  # type: ignore[attr-defined]
    started = client.post("/run-now", data={"csrf": csrf_of(page.text), "pair": "store"})
    assert started.status_code == 200
    assert "run of store started" in started.text
    assert wait_for_run(client) == "ok"
    assert "ok" in client.get("/run-now").text


@pytest.mark.rule("SQ-2")
def test_two_duplicates_merged_after_a_preview_and_a_stale_preview_refused(troubled):
    world, _, client = troubled
    logged_in(client, "olga")
    [group] = find_duplicates(world.engine, "store")
    unlinked, linked = sorted(group.records, key=lambda r: r.linked_to is not None)
    preview = client.get(
        "/duplicates/preview",
        params={"pair": "store", "side": "platform", "survivor": linked.id, "other": group.ids},
    )
    assert preview.status_code == 200
    assert "+12175550155" in preview.text, "the survivor gains the other's phone"
    form = {
        "csrf": csrf_of(preview.text),
        "pair": "store",
        "entity": "customer",
        "side": "platform",
        "survivor": linked.id,
        "other": unlinked.id,
    }
    stale = client.post("/duplicates/merge", data={**form, "fingerprint": "0" * 24})
    assert stale.status_code == 400
    assert "changed since the preview" in stale.text
    assert len(list(world.sq.customers.live())) == 5
    marker = 'name="fingerprint" value="'
    start = preview.text.index(marker) + len(marker)
    fingerprint = preview.text[start : preview.text.index('"', start)]
    done = client.post("/duplicates/merge", data={**form, "fingerprint": fingerprint})
    assert done.status_code == 200, done.text
    assert f"-&gt; {linked.id}" in done.text
    assert [m.survivor for m in world.engine.store.merges("store")] == [linked.id]
    assert find_duplicates(world.engine, "store") == []


@pytest.mark.rule("SQ-3")
def test_records_found_as_find_finds_them_and_shown_side_by_side(troubled):
    world, _, client = troubled
    logged_in(client, "vic")
    found = client.get("/records", params={"q": "good1@example.com"})
    assert "2 found" in found.text, "both sides"
    link = world.engine.store.link_by_id(
        "store", "customer", "platform", world.customers()[0]["id"]
    )
    assert link is not None
    page = client.get(f"/records/store/customer/pos/{link.pos_id}")
    assert page.status_code == 200
    assert link.platform_id in page.text
    assert link.pos_id in page.text
    unknown = client.get("/records/store/customer/pos/no-such-key")
    assert unknown.status_code == 400
    assert "customer no-such-key is not known on the pos side" in unknown.text
    assert client.get("/records/nowhere/customer/pos/x").status_code == 400


def test_runs_and_a_runs_report(troubled):
    world, _, client = troubled
    logged_in(client, "vic")
    runs = client.get("/runs")
    assert all(f'href="/runs/{r.run_id}"' in runs.text for r in world.reports)
    report = client.get(f"/runs/{world.reports[0].run_id}")
    assert "create" in report.text
    assert "square.calls" in report.text
    assert client.get("/runs/999").status_code == 400


def test_no_auth_is_refused_off_the_loopback(tmp_path):
    result = CliRunner().invoke(cli, ["console", "--host", "0.0.0.0", "--no-auth"])
    assert result.exit_code != 0
    assert "--no-auth is allowed on 127.0.0.1 only" in str(result.exception or result.output)


def test_a_console_nobody_can_log_in_to_is_refused(tmp_path, monkeypatch):
    from tests.configs import edge_clientbook_toml

    monkeypatch.delenv("SYNCWRIGHT_CONSOLE_TOKEN", raising=False)
    cfg = edge_clientbook_toml(tmp_path, "http://127.0.0.1:9", "key-of-cb")
    result = CliRunner().invoke(cli, ["-c", str(cfg), "console"])
    assert result.exit_code != 0
    assert "nobody can log in to the console" in str(result.exception or result.output)


def test_the_console_command_serves_and_stops_on_sigterm(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    import httpx

    from fakes.toolkit.serve import free_port
    from tests.configs import edge_clientbook_toml

    cfg = edge_clientbook_toml(tmp_path, "http://127.0.0.1:9", "key-of-the-clientbook")
    port = free_port()
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "framework.cli",
            "-c",
            str(cfg),
            "console",
            "--no-auth",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the console did not answer"
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert page.status_code == 200
        assert "store" in page.text
        assert "key-of-the-clientbook" not in page.text
        script = httpx.get(f"http://127.0.0.1:{port}/static/htmx.min.js", timeout=5)
        assert script.status_code == 200
        assert "htmx" in script.text
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in out


def test_hash_password_prints_a_users_table_with_an_argon2_hash():
    from argon2 import PasswordHasher

    result = CliRunner().invoke(
        cli,
        ["console", "hash-password", "--name", "ann", "--role", "viewer"],
        input="a-good-password\na-good-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "[[console.users]]" in result.output
    assert 'name = "ann"' in result.output
    assert 'role = "viewer"' in result.output
    hashed = result.output.split('password_hash = "')[1].split('"')[0]
    assert PasswordHasher().verify(hashed, "a-good-password")
    assert "a-good-password\n[[" not in result.output
    short = CliRunner().invoke(cli, ["console", "hash-password"], input="short\nshort\n")
    assert short.exit_code != 0


def test_after_log_in_only_a_path_of_the_console_is_followed(troubled):
    _, _, client = troubled
    for target, lands in [
        ("/problems", "/problems"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
    ]:
        client.cookies.clear()
        page = client.get("/login")
        answer = client.post(
            "/login",
            data={
                "csrf": csrf_of(page.text),
                "name": "vic",
                "password": PASSWORDS["vic"],
                "next": target,
            },
            follow_redirects=False,
        )
        assert answer.headers["location"] == lands, target


@pytest.mark.rule("G-5")
def test_a_retry_while_another_process_runs_the_pair_is_refused_and_nothing_queued(troubled):
    world, bad, client = troubled
    logged_in(client, "olga")
    page = client.get("/problems")
    [problem] = [p for p in world.engine.store.problems() if p.record_id == bad]
    with world.engine.lease("store"):
        refused = client.post(
            "/problems/retry", data={"csrf": csrf_of(page.text), "id": problem.id}
        )
    assert refused.status_code == 409
    assert "is being run by" in refused.text
    assert problem.id in problem_ids(client), "still open: nothing was queued"
    assert client.app.state.console.jobs.latest == {}  # type: ignore[attr-defined]
