"""The hooks a connector implements. The docstring of each hook is its contract.

Every hook that talks to one system receives that system's :class:`SystemContext`; a
connector answers only for systems whose ``system.connector`` is its own name and returns
``None`` otherwise, so several connectors, and several configured systems of one connector,
share one plugin manager. Those hooks are ``firstresult``: the first non-``None`` answer wins.

The engine never calls these directly: it goes through the typed facade in
``framework.facade``, which also says what happens when no plugin answers.
"""

from __future__ import annotations

from typing import Any

from framework.errors import ConnectorError
from framework.markers import hookspec
from framework.models import (
    ApplyResult,
    AssociateMapping,
    Change,
    ChangePage,
    ConnectorInfo,
    MatchQuery,
    MatchResult,
    MergeOutcome,
    MergeRequest,
    Notification,
    Subscription,
    SystemCheck,
    SystemContext,
    WebhookEvent,
    WriteRequest,
)


@hookspec(firstresult=True)
def describe_connector(connector: str) -> ConnectorInfo | None:
    """Describe the connector named ``connector``: entities, fields, match keys, settings.

    Called by the framework when it loads the configuration (to validate each
    ``[systems.NAME]`` table with the connector's settings model), when it plans a pair's
    flows, and by ``syncwright plugins`` and the conformance suite.

    Args:
        connector: the connector name a ``[systems.NAME]`` table asks for.

    Returns:
        The description, or ``None`` when ``connector`` is not this plugin's name.
        Stops at first non-None result.
    """


@hookspec(firstresult=True)
def fetch_changes(
    system: SystemContext, entity: str, cursor: str | None, limit: int
) -> ChangePage | None:
    """Return one page of ``entity`` changes on ``system`` since ``cursor``.

    Called by the engine at the start of every run, page after page, until a page says
    ``more=False``. Each page is staged durably before its cursor is stored, so a run that
    dies between pages resumes from the last stored cursor: a connector must return, from
    a given cursor, every change made after the change that cursor was taken at, including
    changes made at the very same timestamp (boundary records are not skipped; returning a
    record twice is harmless, the engine recognises unchanged records by content hash).
    Systems without a change feed may return every record on every read (a full read
    each run): the engine skips, before staging, each record equal to its shadow by content
    hash, so only real changes are reconciled. Such a connector never reports a deletion
    from a record's absence in a read it did not finish.

    Args:
        system: the configured system to read.
        entity: the canonical entity name (``customer``, ``note``…).
        cursor: the cursor of the last staged page, or ``None`` for a full read (G-2).
        limit: the page size the engine asks for; a connector may return fewer.

    Returns:
        The page; ``None`` when ``system`` is not this connector's. Records that cannot be
        turned into canonical ones are still returned, as changes with ``problem`` set.
        Stops at first non-None result.

    Raises:
        RetryableError: a transient failure; the engine retries with backoff.
        FatalError: a failure retrying cannot fix.
    """


@hookspec(firstresult=True)
def apply_change(system: SystemContext, request: WriteRequest) -> ApplyResult | None:
    """Write one change (create, update or delete) to ``system``.

    Called by the engine for each journaled write intent, after the intent is durable.
    Must be idempotent (G-6): the same request applied twice leaves one record with the
    same content; use ``request.idempotency_key`` where the system supports it and, when
    ``request.replay`` is set, look for the record an earlier attempt may have created.

    Args:
        system: the target system.
        request: what to write; ``request.associate`` is the POS associate to record on
            writes into a POS system (G-8).

    Returns:
        The target's id (or ``pending=True`` when the system assigns it later) and, when
        the system returns it, the record as stored. ``None`` when ``system`` is not this
        connector's. Stops at first non-None result.

    Raises:
        RecordRejected: the system refused this record; it is quarantined, the run goes on.
        RetryableError: a transient failure; retried, then left pending for the next run.
        FatalError: a failure retrying cannot fix.
    """


@hookspec(firstresult=True)
def apply_batch(
    system: SystemContext, requests: list[WriteRequest]
) -> list[ApplyResult | ConnectorError] | None:
    """Write several changes in one go, for systems with batch endpoints (IS-6).

    Called instead of ``apply_change`` when the connector declares ``batch_size > 1`` for
    the entity; never with more requests than that. The same idempotence rules apply.

    Args:
        system: the target system.
        requests: the writes, in order.

    Returns:
        One result per request, in order: an :class:`ApplyResult`, or the
        :class:`ConnectorError` that request met (a :class:`RecordRejected` for a per-item
        refusal such as an IdoSell 207 ``faultCode``). ``None`` when ``system`` is not
        this connector's. Stops at first non-None result.
    """


@hookspec(firstresult=True)
def match_record(system: SystemContext, query: MatchQuery) -> MatchResult | None:
    """Find the existing record on ``system`` that a record from the other side should link to.

    Called by the engine before every create (G-3). ``query.candidates`` already holds what
    the engine's own index of this system found for the normalised keys; a connector whose
    system can be searched live may search it (always, or only when ``query.replay`` is set
    or its index may be stale, e.g. after a 202 "queued" write) and return what it found.
    A built-in fallback plugin answers with the index candidates.

    Args:
        system: the system a record is about to be created on.
        query: the record, its normalised keys and the index candidates.

    Returns:
        The matching ids: none (create), one (link instead of creating), several
        (ambiguous: the engine reports it and never guesses). ``None`` to leave the answer
        to the next plugin. Stops at first non-None result.
    """


@hookspec(firstresult=True)
def map_associate(
    system: SystemContext, user_id: str | None, default_associate: str | None
) -> AssociateMapping | None:
    """Return the POS associate to record for a change a platform user made (G-8, CB-11).

    Called by the engine for every write into a POS system that stems from a platform
    change. The platform connector answers from its own data (Clientbook's "Point of Sale
    ID"); a built-in fallback plugin answers with the configured default.

    Args:
        system: the platform system the change came from.
        user_id: the platform user who made it, when the platform says.
        default_associate: the pair's configured default POS associate.

    Returns:
        The mapping, or ``None`` when this plugin cannot map the user (the next plugin is
        asked; the fallback uses ``default_associate``). Stops at first non-None result.
    """


@hookspec(firstresult=True)
def merge_records(system: SystemContext, request: MergeRequest) -> MergeOutcome | None:
    """Merge duplicate records on ``system`` into one, because a user asked for it (SQ-2).

    Called only by ``syncwright duplicates merge`` (through the engine), never during a
    run: the engine reports duplicate candidates but never merges on its own. The survivor
    keeps its id and every contact method and note of the others, as structured data (in
    fields it has, then where the system can keep the rest, never as free text when the
    system has a place for it); records that point at the others (bookings, memberships)
    are moved to the survivor; then the others are removed, last, so a merge cut short
    loses nothing. ``MergeOutcome.kept`` says where each value of every merged record is
    now. The engine then moves the links of the others and records the merge. The
    conformance check ``merge_records`` holds a connector to this.

    Args:
        system: the system holding the duplicates.
        request: the survivor, the others, their last known content, and the shared code
            the survivor must answer to afterwards.

    Returns:
        What the system did, with the survivor as stored. ``None`` when ``system`` is not
        this connector's, or when it cannot merge records of ``request.entity`` (the engine
        then refuses the merge with a clear message). Stops at first non-None result.

    Raises:
        RecordRejected: the system refused (a record changed meanwhile, one is gone).
        RetryableError: a transient failure; the user may run the merge again (it is
            idempotent: records already merged are no longer there to merge).
        FatalError: a failure retrying cannot fix.
    """


@hookspec(firstresult=True)
def check_flow(system: SystemContext, entity: str, direction: str, side: str) -> str | None:
    """Refuse a flow this configured system cannot take part in (its account lacks the feature).

    Called by the framework when it loads the configuration, before anything runs: for
    every flow that is not ``off``, once for each of the pair's two systems. A connector
    answers from the system's settings alone (``system.http`` is not built yet), e.g. the
    Podium connector refuses item sync for an account on the Clientele tier (PD-1).

    Args:
        system: the configured system (its settings; no HTTP client).
        entity: the flow's entity (``product``…).
        direction: the flow's direction (``both``, ``pos_to_platform``, ``platform_to_pos``).
        side: the system's side in the pair (``pos`` or ``platform``).

    Returns:
        A one-line reason naming the rule, which makes the configuration invalid; ``None``
        when the system can take part in the flow, or when ``system`` is not this
        connector's. Stops at first non-None result.
    """


@hookspec(firstresult=True)
def check_system(system: SystemContext) -> SystemCheck | None:
    """Reach ``system`` the way a run would and say whether it works (``syncwright check``).

    Called by ``syncwright check`` for every configured system, with ``system.http`` built
    as for a run, before anything is synced. Check what a run needs and what the settings
    could have wrong: the base URL answers, the credentials are accepted (one cheap
    authenticated read), the folder or database is there and can be read (and written,
    when the system is written to). Change nothing.

    When no connector answers, the framework reads one page (of one record) of the first
    entity the connector reads, through ``fetch_changes``, and reports what that read
    met: so a connector takes part without implementing this hook, and implements it to
    check more (Edge: the exchange folder is writable) or to check more cheaply.

    Args:
        system: the configured system, with its HTTP client.

    Returns:
        ``SystemCheck(ok=True, detail="…")`` naming what was reached, or ``ok=False`` with
        one line saying what is wrong (which host, which folder, which key); ``None`` when
        ``system`` is not this connector's. Stops at first non-None result.

    Raises:
        ConnectorError: also accepted in place of ``ok=False``: its message is reported.
    """


@hookspec
def provide_presets() -> list[dict[str, Any]]:  # type: ignore[empty-body]
    """Contribute pair presets: data that says a pair's flows, directions and policies.

    Called once when the configuration is loaded. Each preset is the parsed content of a
    preset TOML file (see ``framework/presets.py``). Results of all plugins are collected.

    Returns:
        A list of preset tables; an empty list when the plugin ships none.
    """


# -- webhooks (``syncwright serve``, docs/webhooks.md) ----------------------------------------
# A platform that pushes its changes implements these; one that does not stays polled. The
# engine trusts a notification for one thing only: which records to read again, now.


@hookspec(firstresult=True)
def verify_notification(system: SystemContext, notification: Notification) -> bool | None:
    """Say whether a notification really comes from ``system``'s platform (its signature).

    Called by ``syncwright serve`` for every ``POST /hooks/{system}``, before anything in
    it is read or stored. Check the platform's signature over the raw body with the
    signing secret in the system's settings (Square: HMAC-SHA256 over the notification URL
    and the body, ``x-square-hmacsha256-signature``), in constant time. A platform whose
    signing is optional and a system with no secret configured: return ``True`` only when
    the settings say so explicitly. Never log the body or the secret.

    Args:
        system: the configured system named in the path (no HTTP call is needed).
        notification: the request as received, with the registered notification URL.

    Returns:
        ``True`` (authentic) or ``False`` (refused with 401 and logged without its body);
        ``None`` when ``system`` is not this connector's. Stops at first non-None result.
    """


@hookspec(firstresult=True)
def parse_notification(
    system: SystemContext, notification: Notification
) -> list[WebhookEvent] | None:
    """Read the events of a verified notification: record ids, kind, event id, time.

    Called by ``syncwright serve`` after :func:`verify_notification` said ``True``. Return
    one :class:`WebhookEvent` per change of an entity the connector syncs (a merge names
    the survivor and the merged records); ignore event types it does not sync (return an
    empty list). The event id must be the platform's, equal on every delivery, so that
    repeated deliveries are recognised; a replay of an old notification is refused by it.

    Args:
        system: the configured system.
        notification: the verified request.

    Returns:
        The events (possibly none); ``None`` when ``system`` is not this connector's.
        Stops at first non-None result.

    Raises:
        ValueError: the body is not what the platform sends (answered 400, logged in one
            line without the body).
    """


@hookspec(firstresult=True)
def fetch_records(system: SystemContext, entity: str, ids: list[str]) -> list[Change] | None:
    """Read the named records of ``entity`` fresh from ``system`` (a targeted run).

    Called by the engine in a run a notification triggered, for the records the events
    named. Read each record's current state from the platform (never from the
    notification), as ``fetch_changes`` reports it: a record that is gone comes back as a
    deletion (``Change(op=Op.DELETE)``); a record merged into another comes back with
    ``supersedes`` when the platform says so. A connector that does not implement this
    hook is read with ``fetch_changes`` from its cursor instead.

    Args:
        system: the platform system.
        entity: the canonical entity.
        ids: the ids on ``system`` (at most a few hundred per call).

    Returns:
        One change per id, in any order; ``None`` when ``system`` is not this connector's
        or it cannot read records by id. Stops at first non-None result.

    Raises:
        RetryableError: a transient failure; the engine retries with backoff.
        FatalError: a failure retrying cannot fix.
    """


@hookspec(firstresult=True)
def ensure_subscription(system: SystemContext, url: str, create: bool) -> Subscription | None:
    """Check (and, with ``create``, make) ``system``'s webhook subscription to ``url``.

    Called by ``syncwright serve`` at start (check only, so an operator sees whether the
    platform will call), and by ``syncwright serve --subscribe`` (create when missing).
    Platforms that configure webhooks in their panel only (IdoSell) answer with ``ok``
    ``False`` and a line saying where to set it.

    Args:
        system: the configured system, with its HTTP client.
        url: the notification URL the platform must call.
        create: make the subscription when it is missing.

    Returns:
        What was found or made; ``None`` when ``system`` is not this connector's or the
        connector has no webhooks. Stops at first non-None result.
    """
