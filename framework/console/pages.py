"""The console's pages: each reads through ``framework.ops``, as the CLI does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from framework.console import operator_pages
from framework.console.auth import (
    User,
    checked_form,
    current_user,
    flash,
    log_in,
)
from framework.engine.duplicates import find_duplicates
from framework.engine.lease import LeaseHeld
from framework.errors import SyncwrightError
from framework.ops import problems as problem_ops
from framework.ops import records as record_ops
from framework.ops import runs as run_ops

if TYPE_CHECKING:
    from framework.console.app import Console

PAGE = 200
"""At most this many rows a table shows (the rest is counted)."""


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "log in first")
    return user


def _back(path: str, **query: str) -> RedirectResponse:
    shown = {k: v for k, v in query.items() if v}
    return RedirectResponse(path + (f"?{urlencode(shown)}" if shown else ""), status_code=303)


def _safe_next(value: Any) -> str:
    """Where to go after logging in: a path of this site only."""
    text = str(value or "/")
    # "//host" and "/\\host" leave the site in browsers; control characters are no path.
    unsafe = text.startswith(("//", "/\\")) or not text.isprintable()
    return text if text.startswith("/") and not unsafe else "/"


# -- logging in -------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    """The log-in form."""
    console = _console(request)
    if current_user(request) is not None:
        return _back("/")
    return console.render(
        request,
        "login.html",
        {
            "next": _safe_next(request.query_params.get("next")),
            "token": console.auth.token is not None,
        },
    )


async def login(request: Request) -> Response:
    """Check the name and password (or the token) and start a session."""
    console = _console(request)
    form = await checked_form(request, role=None)
    user = console.auth.check(str(form.get("name") or ""), str(form.get("password") or ""))
    if user is None:
        return console.render(
            request,
            "login.html",
            {
                "next": _safe_next(form.get("next")),
                "token": console.auth.token is not None,
                "refused": "wrong name or password",
            },
            status_code=401,
        )
    log_in(request, user)
    return _back(_safe_next(form.get("next")))


async def logout(request: Request) -> Response:
    """End the session."""
    await checked_form(request, role=None)
    request.session.clear()
    return _back("/login")


# -- overview and runs ----------------------------------------------------------------------


async def overview(request: Request) -> Response:
    """Every pair: systems, last and next run, counts, problems, a pair that keeps failing."""
    _user(request)
    console = _console(request)
    engine = console.engine

    def read() -> list[run_ops.PairStatus]:
        return [run_ops.pair_status(engine, name) for name in console.config.pairs]

    return console.render(request, "overview.html", {"statuses": await console.call(read)})


async def runs(request: Request) -> Response:
    """The timeline of runs (of one pair, or all)."""
    _user(request)
    console = _console(request)
    pair = request.query_params.get("pair") or None
    if pair is not None:
        record_ops.choose_pair(console.engine, pair)
    shown = await console.call(run_ops.latest_runs, console.engine.store, pair, 100)
    rows = [(r, run_ops.moved(r), run_ops.calls(r)) for r in shown]
    return console.render(request, "runs.html", {"runs": rows, "pair": pair})


async def run_report(request: Request) -> Response:
    """One run's report: counts by entity and action, moves by rule, errors, calls."""
    _user(request)
    console = _console(request)
    run_id = int(request.path_params["run_id"])
    detail = await console.call(run_ops.run_detail, console.engine.store, run_id)
    if detail is None:
        raise SyncwrightError(f"no run {run_id} (the latest are on the Runs page)")
    return console.render(request, "run.html", {"detail": detail})


async def run_now_page(request: Request) -> Response:
    """Start a run of a pair, and the progress of runs started here."""
    _user(request)
    console = _console(request)

    def read() -> list[run_ops.PairStatus]:
        return [run_ops.pair_status(console.engine, name, 1) for name in console.config.pairs]

    pairs = await console.call(read)
    jobs = console.jobs.latest
    return console.render(request, "run_now.html", {"statuses": pairs, "jobs": jobs})


async def run_now(request: Request) -> Response:
    """Start a run (refused while another process holds the pair's lease)."""
    form = await checked_form(request)
    console = _console(request)
    pair = record_ops.choose_pair(console.engine, str(form.get("pair") or "") or None)
    await console.call(console.jobs.start, pair, _user(request).name)
    flash(request, f"run of {pair} started")
    return _back("/run-now")


# -- problems --------------------------------------------------------------------------------


async def problems(request: Request) -> Response:
    """Open problems grouped by pair, rule and kind of reason."""
    _user(request)
    console = _console(request)
    pair = request.query_params.get("pair") or None
    open_ = await console.call(console.engine.store.problems, pair)
    groups = problem_ops.grouped(open_)
    return console.render(
        request, "problems.html", {"groups": groups, "total": len(open_), "page": PAGE}
    )


def _ids(values: list[Any]) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        raise SyncwrightError("a problem id is a number") from None


async def problems_retry(request: Request) -> Response:
    """Queue problems again (one, or a group), then run their pairs in the background."""
    form = await checked_form(request)
    console = _console(request)
    engine = console.engine
    ids = _ids(form.getlist("id"))
    if not ids:
        raise SyncwrightError("no problem chosen")
    user = _user(request)

    def retry() -> tuple[dict[str, list[problem_ops.Requeued]], dict[str, str]]:
        chosen = problem_ops.open_problems(engine.store, ids)  # a stale form: one clear line
        done = problem_ops.requeue_problems(engine, chosen)
        started = {}
        for name in done:
            if name not in console.config.pairs:
                continue
            try:
                console.jobs.start(name, user.name)
                started[name] = f"run of {name} started (see Run now)"
            except LeaseHeld:  # another process started a run meanwhile: it takes them
                started[name] = f"{name} is being run elsewhere; that run or the next takes them"
        return done, started

    done, started = await console.call(retry)
    for name, items in done.items():
        for item in items:
            flash(request, f"problem {item.problem.id}: {item.done}")
        if name in started:
            flash(request, started[name])
    return _back("/problems")


async def problems_resolve(request: Request) -> Response:
    """Close a problem by hand."""
    form = await checked_form(request)
    console = _console(request)
    for problem_id in _ids(form.getlist("id")):
        problem = await console.call(problem_ops.resolve, console.engine.store, problem_id)
        flash(
            request, f"problem {problem.id} resolved by hand ({problem.entity} {problem.record_id})"
        )
    return _back("/problems")


# -- records ---------------------------------------------------------------------------------


def _pair_and_entity(request: Request) -> tuple[str, str]:
    console = _console(request)
    pair = record_ops.choose_pair(console.engine, request.query_params.get("pair") or None)
    entity = request.query_params.get("entity") or "customer"
    return pair, entity


async def records(request: Request) -> Response:
    """Search records as ``syncwright find`` does (phone, e-mail, part of a name)."""
    _user(request)
    console = _console(request)
    pair, entity = _pair_and_entity(request)
    text = (request.query_params.get("q") or "").strip()
    find = record_ops.find
    found = await console.call(find, console.engine, pair, entity, text, PAGE + 1) if text else []
    spec = console.config.pairs[pair]
    return console.render(
        request,
        "records.html",
        {
            "pair": pair,
            "entity": entity,
            "entities": list(spec.flows),
            "q": text,
            "found": found[:PAGE],
            "total": len(found),
            "systems": {"pos": spec.pos, "platform": spec.platform},
        },
    )


async def record(request: Request) -> Response:
    """One record and its counterpart side by side, its link and open problems."""
    _user(request)
    console = _console(request)
    p = request.path_params
    pair = record_ops.choose_pair(console.engine, p["pair"])
    side = record_ops.choose_side(p["side"]) or "pos"
    view = await console.call(
        record_ops.record_view, console.engine, pair, p["entity"], side, p["record_id"]
    )
    field = (request.query_params.get("field") or "").strip() or None
    extras = await console.call(
        operator_pages.record_extras, console.engine.store, pair, p["entity"], p["record_id"], field
    )
    return console.render(request, "record.html", {"view": view, "extras": extras})


# -- duplicates ------------------------------------------------------------------------------


async def duplicates(request: Request) -> Response:
    """Duplicate candidates with their evidence (SQ-2)."""
    _user(request)
    console = _console(request)
    pair = record_ops.choose_pair(console.engine, request.query_params.get("pair") or None)
    side = record_ops.choose_side(request.query_params.get("side") or None)
    groups = await console.call(find_duplicates, console.engine, pair, None, side)
    return console.render(
        request,
        "duplicates.html",
        {"pair": pair, "groups": groups[:PAGE], "total": len(groups), "side": side or ""},
    )


def _merge_request(values: Any) -> tuple[str, str, Any, str, list[str]]:
    side = record_ops.choose_side(str(values.get("side") or "platform")) or "platform"
    survivor = str(values.get("survivor") or "")
    others = [str(o) for o in values.getlist("other") if str(o) != survivor]
    if not survivor:
        raise SyncwrightError("SQ-2: choose the record that stays (the survivor)")
    return (
        str(values.get("pair") or ""),
        str(values.get("entity") or "customer"),
        side,
        survivor,
        others,
    )


async def merge_preview(request: Request) -> Response:
    """The survivor of a merge and what the others bring, before anything is done."""
    _user(request)
    console = _console(request)
    pair, entity, side, survivor, others = _merge_request(request.query_params)
    pair = record_ops.choose_pair(console.engine, pair or None)
    preview = await console.call(
        record_ops.merge_preview, console.engine, pair, entity, side, survivor, others
    )
    return console.render(
        request,
        "merge.html",
        {"preview": preview, "pair": pair, "entity": entity, "side": side},
    )


async def merge(request: Request) -> Response:
    """Merge, if the records are as the preview showed them (else nothing is done)."""
    form = await checked_form(request)
    console = _console(request)
    pair, entity, side, survivor, others = _merge_request(form)
    pair = record_ops.choose_pair(console.engine, pair or None)
    expected = str(form.get("fingerprint") or "") or None
    if expected is None:
        raise SyncwrightError("SQ-2: merge from the preview (it shows what the survivor keeps)")
    done = await console.call(
        record_ops.merge, console.engine, pair, entity, side, survivor, others, expected
    )
    flash(request, f"merge {done.id}: {', '.join(done.merged)} -> {done.survivor}")
    return _back("/duplicates", pair=pair)


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/", overview, methods=["GET"]),
    Route("/runs", runs, methods=["GET"]),
    Route("/runs/{run_id:int}", run_report, methods=["GET"]),
    Route("/run-now", run_now_page, methods=["GET"]),
    Route("/run-now", run_now, methods=["POST"]),
    Route("/problems", problems, methods=["GET"]),
    Route("/problems/retry", problems_retry, methods=["POST"]),
    Route("/problems/resolve", problems_resolve, methods=["POST"]),
    Route("/records", records, methods=["GET"]),
    Route("/records/{pair}/{entity}/{side}/{record_id:path}", record, methods=["GET"]),
    Route("/duplicates", duplicates, methods=["GET"]),
    Route("/duplicates/preview", merge_preview, methods=["GET"]),
    Route("/duplicates/merge", merge, methods=["POST"]),
]
