"""Journeys through the console in a real browser: Playwright driving Debian's Chromium.

Without Chromium (or Playwright) these skip in one line; under ``SYNCWRIGHT_CI=1`` they
fail instead. Each main page is photographed into ``screenshots/`` (not committed; see
docs/console.md).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from fakes.toolkit import BackgroundServer
from framework.engine.duplicates import find_duplicates
from tests.console_world import (
    BROKEN,
    GUARD,
    HELD_CUSTOMERS,
    PASSWORDS,
    SECRET,
    break_export,
    chromium_or_skip,
    console_for,
    fix_broken_email,
    guarded_world,
    square_emails,
    troubled_world,
)
from tests.square_world import SquareWorld

T = TypeVar("T")
SHOTS = Path(__file__).resolve().parent.parent / "screenshots"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[SquareWorld, str, str]]:
    world, bad = troubled_world(tmp_path)
    app = console_for(world)
    server = BackgroundServer(app).start()
    yield world, bad, server.url
    server.stop()
    app.state.console.close()
    world.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


class Seen:
    """Every page a journey saw, to check what none of them may show."""

    def __init__(self) -> None:
        self.pages: list[str] = []

    def look(self, page: Any, shot: str | None = None) -> None:
        self.pages.append(page.content())
        if shot:
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)


def log_in(page: Any, url: str, name: str, seen: Seen) -> None:
    page.goto(url + "/")
    page.wait_for_url(re.compile(r"/login"))
    seen.look(page, "login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")


@pytest.mark.rule("G-5", "SQ-2")
def test_an_operator_retries_a_fixed_record_and_merges_two_duplicates(served, browser):
    from playwright.sync_api import expect

    world, bad, url = served
    seen = Seen()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, url, "olga", seen)
    section = page.locator("#pair-store")
    assert "2" in section.locator("dt:has-text('open problems') + dd").inner_text()
    seen.look(page, "overview")

    page.click("nav >> text=Problems")
    [problem] = [p for p in world.engine.store.problems() if p.record_id == bad]
    row = page.locator(f"#problem-{problem.id}")
    assert "invalid e-mail address" in row.inner_text()
    seen.look(page, "problems")

    fix_broken_email(world, bad)  # the store fixes the record in Edge
    row.locator("button.retry").click()
    assert f"problem {problem.id}:" in page.locator(".flash").first.inner_text()
    # The page follows the state by itself (htmx polling): the problem closes.
    page.locator(f"#problem-{problem.id}").wait_for(state="detached", timeout=30_000)
    assert problem.id not in [p.id for p in world.engine.store.problems()]

    # The retry requeued the change and started a run in the background: Run now shows it
    # until it ends; only then is the record on Square (closing the problem comes first).
    page.click("nav >> text=Run now")
    # (expect, not wait_for_function: the console's CSP forbids the eval that one polls with)
    expect(page.locator("#job-store")).to_have_text("ok", timeout=30_000)
    assert any(c.get("email_address") == "bea@example.com" for c in world.sq.customers.live())
    seen.look(page, "run-now")
    page.click("nav >> text=Runs")
    seen.look(page, "runs")
    page.locator("table.timeline a").first.click()
    seen.look(page, "run-report")

    page.click("nav >> text=Records")
    page.fill("input[name=q]", "bea@example.com")
    page.click("form.search button")
    assert "2 found" in page.locator("#found-count").inner_text(), "both sides, linked now"
    page.locator("table a").first.click()
    assert "Linked" in page.locator("#link").inner_text()
    seen.look(page, "record")

    page.click("nav >> text=Duplicates")
    seen.look(page, "duplicates")
    [group] = find_duplicates(world.engine, "store")
    linked = next(r for r in group.records if r.linked_to)
    page.check(f"input[name=survivor][value={linked.id}]")
    page.click("button.preview")
    assert "+12175550155" in page.locator("#gains").inner_text()
    seen.look(page, "merge-preview")
    page.click("button.merge")
    assert f"-> {linked.id}" in page.locator(".flash").first.inner_text()
    assert "0 group(s)" in page.locator("#group-count").inner_text()
    assert [m.survivor for m in world.engine.store.merges("store")] == [linked.id]
    assert all(SECRET not in html for html in seen.pages), "a configured secret was shown"


def test_a_viewer_sees_no_buttons_and_a_forged_request_is_refused(served, browser):
    world, _, url = served
    seen = Seen()
    page = browser.new_page()
    log_in(page, url, "vic", seen)
    page.click("nav >> text=Problems")
    assert page.locator("button.retry").count() == 0
    assert page.locator("button.resolve").count() == 0
    seen.look(page)
    before = [p.id for p in world.engine.store.problems()]
    problem = world.engine.store.problems()[0]
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    retry = page.request.post(f"{url}/problems/retry", form={"csrf": csrf, "id": problem.id})
    assert retry.status == 403
    assert "viewer" in retry.text()
    page.click("nav >> text=Duplicates")
    page.click("button.preview")
    assert page.locator("button.merge").count() == 0
    seen.look(page)
    [group] = find_duplicates(world.engine, "store")
    merge = page.request.post(
        f"{url}/duplicates/merge",
        form={
            "csrf": csrf,
            "pair": "store",
            "side": "platform",
            "survivor": group.ids[0],
            "other": group.ids[1],
            "fingerprint": "x",
        },
    )
    assert merge.status == 403
    page.click("nav >> text=Run now")
    assert page.locator("button.run").count() == 0
    seen.look(page)
    assert [p.id for p in world.engine.store.problems()] == before
    assert world.engine.store.merges("store") == []
    assert all(SECRET not in html for html in seen.pages)


def test_a_post_without_the_csrf_token_is_refused(served, browser):
    world, _, url = served
    page = browser.new_page()
    log_in(page, url, "olga", Seen())
    before = [p.id for p in world.engine.store.problems()]
    answer = page.request.post(f"{url}/problems/resolve", form={"id": before[0]})
    assert answer.status == 403
    assert "CSRF" in answer.text()
    assert [p.id for p in world.engine.store.problems()] == before


def test_without_javascript_every_page_reads_and_a_retry_still_works(served, browser):
    world, bad, url = served
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, url, "olga", Seen())
    for title in ("Overview", "Runs", "Problems", "Records", "Duplicates", "Run now", "Plan"):
        page.click(f"nav >> text={title}")
        assert page.locator("h1").first.inner_text().startswith(title.split()[0])
    page.click("nav >> text=Problems")
    [problem] = [p for p in world.engine.store.problems() if p.record_id == bad]
    fix_broken_email(world, bad)
    page.locator(f"#problem-{problem.id} button.retry").click()  # a plain form POST
    assert f"problem {problem.id}:" in page.locator(".flash").first.inner_text()
    deadline = time.monotonic() + 30
    while page.locator(f"#problem-{problem.id}").count():  # no polling: reload by hand
        assert time.monotonic() < deadline, "the problem did not close"
        time.sleep(0.3)
        page.reload()
    assert problem.id not in [p.id for p in world.engine.store.problems()]
    context.close()


@pytest.fixture
def guarded_served(tmp_path: Path) -> Iterator[tuple[SquareWorld, list[str], Any, str]]:
    world, keys = guarded_world(tmp_path)
    app = console_for(world, settings=GUARD)
    server = BackgroundServer(app).start()
    yield world, keys, app, server.url
    server.stop()
    app.state.console.close()
    world.close()


def off_the_browser_thread(fn: Callable[[], T]) -> T:
    """``fn()`` in a thread of its own: Playwright's event loop holds this one, and the
    fakes' in-process transport runs a loop of its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result(timeout=120)


def hold_a_run(world: SquareWorld, keys: list[str], app: Any) -> int:
    """A broken Edge export; the console's engine runs the pair and its guard holds."""
    break_export(world, keys)
    engine = app.state.console.engine

    def run() -> Any:
        with engine.lease("store") as lease:
            return engine.run_pair("store", lease=lease)

    report = off_the_browser_thread(run)
    assert report.status == "held", report.errors
    return int(report.run_id)


def test_an_operator_opens_a_records_history_and_sees_the_change_with_its_rule(
    guarded_served, browser
):
    world, keys, _, url = guarded_served
    key = keys[-1]
    world.edge.customers[key]["Emails"][0]["PairValue"]["EmailEmail"] = "changed@example.com"
    world.edge.edit_customer(key)
    off_the_browser_thread(lambda: world.settle(2))
    seen = Seen()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, url, "olga", seen)
    page.click("nav >> text=Records")
    page.fill("input[name=q]", "changed@example.com")
    page.click("form.search button")
    page.locator("table a").first.click()
    row = page.locator("table.history tr.entry.update", has_text="changed@example.com").first
    assert "emails" in row.inner_text()
    assert row.locator("span.rule").inner_text() == "SQ-2"
    assert "append_as_new" in row.inner_text()
    seen.look(page, "record-history")
    page.fill("input[name=field]", "last_name")
    page.click("form.search >> text=Filter")
    assert page.locator("table.history tr.entry.update").count() == 0
    assert all(SECRET not in html for html in seen.pages)


@pytest.mark.rule("G-3", "SQ-3")
def test_an_operator_finds_a_record_by_name_unlinks_it_and_links_it_again(guarded_served, browser):
    world, keys, _, url = guarded_served
    key = keys[3]
    store = world.engine.store
    square_id = store.link_by_id("store", "customer", "pos", key).platform_id
    seen = Seen()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, url, "olga", seen)
    page.click("nav >> text=Records")
    page.fill("input[name=q]", "STOMER3")  # part of a name, any case (SQ-3)
    page.click("form.search button")
    assert "2 found" in page.locator("#found-count").inner_text(), "both sides"
    page.click(f"table a:text-is('{key}')")
    assert f"{key} ⇄" in page.locator("#link").inner_text()
    page.click("button[name=unlink]")
    page.locator(".flash", has_text=f"unlinked customer {key}").wait_for()
    assert "Not linked." in page.locator("#link").inner_text()
    assert store.link_by_id("store", "customer", "pos", key) is None
    seen.look(page, "record-unlinked")
    page.fill("input[name=platform_id]", square_id)
    page.click("button[name=link]")
    page.locator(".flash", has_text=f"linked customer {key} (pos) = {square_id}").wait_for()
    assert f"{key} ⇄ square {square_id}" in page.locator("#link").inner_text()
    assert store.link_by_id("store", "customer", "pos", key).platform_id == square_id
    history = page.locator("table.history").inner_text()
    assert "linked by hand" in history
    assert "unlinked by hand" in history
    assert all(SECRET not in html for html in seen.pages)


@pytest.mark.rule("G-5")
def test_an_operator_approves_a_held_run_and_sees_it_applied(guarded_served, browser):
    world, keys, app, url = guarded_served
    run_id = hold_a_run(world, keys, app)
    seen = Seen()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, url, "olga", seen)
    assert f"run {run_id} holds {BROKEN} write(s)" in page.locator("#pair-store").inner_text()
    seen.look(page, "overview-held")
    page.click("nav >> text=Plan and guard")
    row = page.locator(f"#held-{run_id}")
    assert "would blank square email" in row.inner_text()
    page.click("text=Show the plan")
    assert "a run would" in page.locator(".plan h3").first.inner_text()
    seen.look(page, "plan")
    assert square_emails(world) == HELD_CUSTOMERS, "held: nothing blanked yet"
    page.locator(f"#held-{run_id} button[name=approve]").click()
    assert f"run {run_id} (store) approved: {BROKEN}" in page.locator(".flash").first.inner_text()
    assert "No run holds writes." in page.locator("table.held-runs").inner_text()
    assert square_emails(world) == HELD_CUSTOMERS - BROKEN, "the held writes were made"
    page.click("nav >> text=Overview")
    assert "holds" not in page.locator("#pair-store").inner_text()


@pytest.mark.rule("G-5")
def test_a_viewer_cannot_approve_a_held_run(guarded_served, browser):
    world, keys, app, url = guarded_served
    run_id = hold_a_run(world, keys, app)
    page = browser.new_page()
    log_in(page, url, "vic", Seen())
    page.click("nav >> text=Plan and guard")
    page.locator(f"#held-{run_id}").wait_for()
    assert page.locator("button[name=approve]").count() == 0
    assert page.locator("button[name=reject]").count() == 0
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(f"{url}/plan/approve", form={"csrf": csrf, "run": str(run_id)})
    assert answer.status == 403
    assert "viewer" in answer.text()
    assert len(app.state.console.engine.store.held_intents("store")) == BROKEN
    assert square_emails(world) == HELD_CUSTOMERS
