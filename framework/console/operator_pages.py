"""The console's plan and guard page, and a record's history and links (issue 15).

Each calls the function the CLI calls (``framework.ops.plan``, ``held``, ``history``,
``links``): ``syncwright plan``, ``approve``, ``reject``, ``history``, ``link`` and
``unlink`` are these pages' buttons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from framework.console.auth import checked_form, current_user, flash
from framework.engine.guard import HeldRun, held_groups
from framework.errors import SyncwrightError
from framework.ops import held as held_ops
from framework.ops import links as link_ops
from framework.ops import records as record_ops
from framework.ops.history import record_history
from framework.ops.plan import plan as make_plan
from framework.state.store import HistoryEntry, Link, StateStore

if TYPE_CHECKING:
    from framework.console.app import Console

HISTORY_PAGE = 200
"""At most this many history entries the record page shows (newest first)."""


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _reader(request: Request) -> None:
    if current_user(request) is None:
        raise HTTPException(401, "log in first")


def _run_id(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise SyncwrightError(f"a run is named by its number, not {value!r}") from None


# -- plan and guard ------------------------------------------------------------------------------


async def plan_page(request: Request) -> Response:
    """Held runs with their reason (approve / reject); the plan of the next run on request."""
    _reader(request)
    console = _console(request)
    pair = request.query_params.get("pair") or None
    if pair is not None:
        record_ops.choose_pair(console.engine, pair)
    details = request.query_params.get("details") == "1"
    show = request.query_params.get("show") == "1"
    names = [pair] if pair else list(console.config.pairs)

    def read() -> dict[str, list[HeldRun]]:
        return {name: held_groups(console.engine.store, name) for name in names}

    held = await console.call(read)
    plans = await console.call(make_plan, console.engine, names) if show else []
    return console.render(
        request,
        "plan.html",
        {"held": held, "plans": plans, "pair": pair or "", "details": details, "show": show},
    )


async def approve(request: Request) -> Response:
    """Make the writes a run's guard held, each re-checked (``syncwright approve RUN``)."""
    form = await checked_form(request)
    console = _console(request)
    done = await console.call(held_ops.approve, console.engine, _run_id(form.get("run")))
    flash(
        request,
        f"run {done.run_id} ({done.pair}) approved: {done.made} held write(s) made, "
        f"{done.dropped} dropped (merged again next run)",
        "error" if done.report is not None and done.report.errors else "ok",
    )
    for line in done.stale:
        flash(request, f"not made: {line}", "error")
    for error in done.report.errors if done.report else []:
        flash(request, f"error: {error}", "error")
    return RedirectResponse("/plan", status_code=303)


async def reject(request: Request) -> Response:
    """Drop the writes a run's guard held (``syncwright reject RUN``)."""
    form = await checked_form(request)
    console = _console(request)
    done = await console.call(held_ops.reject, console.engine, _run_id(form.get("run")))
    flash(
        request,
        f"run {done.run_id} ({done.pair}) rejected: {done.dropped} held write(s) dropped; "
        "their records are merged again next run",
    )
    return RedirectResponse("/plan", status_code=303)


# -- a record's history and links ----------------------------------------------------------------


@dataclass
class RecordExtras:
    """What the record page adds: its link as ``link show`` tells it, and its history."""

    link: link_ops.LinkView
    history: list[HistoryEntry]
    field: str | None


def record_extras(
    store: StateStore, pair: str, entity: str, record_id: str, field: str | None
) -> RecordExtras:
    """``syncwright link show`` and ``syncwright history [--field]`` of one record."""
    view = link_ops.show(store, pair, entity, record_id)
    _, entries = record_history(store, pair, entity, record_id, field=field, limit=HISTORY_PAGE)
    return RecordExtras(view, entries, field)


def _record_path(pair: str, entity: str, side: str, record_id: str) -> str:
    return f"/records/{pair}/{entity}/{side}/{record_id}"


async def link(request: Request) -> Response:
    """Link two records an operator knows are the same (``syncwright link POS PLATFORM``)."""
    form = await checked_form(request)
    console = _console(request)
    pair = record_ops.choose_pair(console.engine, str(form.get("pair") or "") or None)
    entity = str(form.get("entity") or "customer")
    pos_id, platform_id = str(form.get("pos_id") or "").strip(), str(form.get("platform_id") or "")
    if not pos_id or not platform_id.strip():
        raise SyncwrightError("a link needs both ids: the POS record's and the platform's")
    user = current_user(request)

    def do() -> Link:
        with console.engine.lease(pair):  # never beside a run of the pair (it moves links)
            return link_ops.link(
                console.engine.store, pair, entity, pos_id, platform_id.strip(), run_id=None
            )

    await console.call(do)
    flash(
        request,
        f"linked {entity} {pos_id} (pos) = {platform_id.strip()} (platform) by "
        f"{user.name if user else '?'}; the next run merges them",
    )
    return RedirectResponse(_record_path(pair, entity, "pos", pos_id), status_code=303)


async def unlink(request: Request) -> Response:
    """Stop syncing a record's two sides, maybe for good (``syncwright unlink --keep-apart``)."""
    form = await checked_form(request)
    console = _console(request)
    pair = record_ops.choose_pair(console.engine, str(form.get("pair") or "") or None)
    entity = str(form.get("entity") or "customer")
    side = record_ops.choose_side(str(form.get("side") or "pos")) or "pos"
    record_id = str(form.get("record_id") or "")
    keep_apart = form.get("keep_apart") == "1"

    def do() -> Link:
        with console.engine.lease(pair):
            return link_ops.unlink(
                console.engine.store, pair, entity, record_id, keep_apart=keep_apart
            )

    gone = await console.call(do)
    flash(
        request,
        f"unlinked {entity} {gone.pos_id} (pos) and {gone.platform_id} (platform)"
        + ("; kept apart: never matched to each other again" if keep_apart else ""),
    )
    return RedirectResponse(_record_path(pair, entity, side, record_id), status_code=303)


ROUTES = [
    Route("/plan", plan_page, methods=["GET"]),
    Route("/plan/approve", approve, methods=["POST"]),
    Route("/plan/reject", reject, methods=["POST"]),
    Route("/records/link", link, methods=["POST"]),
    Route("/records/unlink", unlink, methods=["POST"]),
]
