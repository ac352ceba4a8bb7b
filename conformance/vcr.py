"""Recording a connector's real traffic once and replaying it offline (vcrpy cassettes).

An author with a vendor sandbox records real answers once, with real credentials, outside
CI; the cassette (credentials scrubbed) is committed and CI replays it with no network and
no secret. See ``docs/conformance.md`` ("Recorded traffic")::

    def test_sandbox_feed(tmp_path):
        with cassette(CASSETTES / "crm-feed.yaml"):           # replays; records when
            probe = sandbox_probe("example-crm", SETTINGS, tmp_path)  # SYNCWRIGHT_RECORD=1
            assert check_feed(probe, "customer") == []

Replaying works for every connector that uses the HTTP client the framework builds (vcrpy
patches httpx's transports), which is every connector: none has its own network path.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from conformance.probe import Probe
from conformance.subject import FakeSystem, Subject
from framework.secrets import redact

RECORD_VARIABLE = "SYNCWRIGHT_RECORD"
SENSITIVE_HEADERS = (
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
    "x-api-key",
    "x-auth-token",
)
SENSITIVE_PARAMETERS = ("api_key", "apikey", "access_token", "key", "token", "client_secret")


def recording() -> bool:
    """Whether this run records (``SYNCWRIGHT_RECORD=1``) rather than replays."""
    return os.environ.get(RECORD_VARIABLE, "") not in ("", "0", "false", "no")


def _scrub_request(request: Any) -> Any:
    if isinstance(request.body, bytes):
        request.body = redact(request.body.decode("utf-8", "replace")).encode()
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in SENSITIVE_HEADERS:
            del headers[name]
    body = response.get("body") or {}
    if isinstance(body.get("string"), bytes):
        body["string"] = redact(body["string"].decode("utf-8", "replace")).encode()
    return response


def cassette(path: str | Path, *, record: bool | None = None) -> AbstractContextManager[Any]:
    """A context in which HTTP traffic is recorded to, or replayed from, ``path``.

    Args:
        path: the cassette file (YAML).
        record: ``True`` re-records (real network, real credentials), ``False`` replays
            only, failing on any request the cassette does not hold; ``None`` reads
            ``SYNCWRIGHT_RECORD``.

    Credentials never reach the file: sensitive headers and query parameters are
    dropped, and every secret the framework knows (each system's API key) is masked in
    bodies and answers.
    """
    import vcr

    mode = "all" if (recording() if record is None else record) else "none"
    recorder = vcr.VCR(
        record_mode=mode,
        filter_headers=list(SENSITIVE_HEADERS),
        filter_query_parameters=list(SENSITIVE_PARAMETERS),
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )
    context: AbstractContextManager[Any] = recorder.use_cassette(str(path))
    return context


def _no_fake(tmp: Path) -> FakeSystem:
    raise RuntimeError("a sandbox probe reaches a real system: it has no fake")


def sandbox_probe(connector: str, settings: dict[str, Any], tmp: Path) -> Probe:
    """The connector ``connector`` on a real system described by ``settings``.

    Use it inside :func:`cassette`: recording, ``settings`` holds real credentials
    (``api_key = "env:..."``); replaying, any placeholder does.
    """
    return Probe(Subject(connector=connector, fake=_no_fake), tmp, settings=settings)


def check_feed(probe: Probe, entity: str, page_size: int = 2) -> list[str]:
    """Feed checks that need no driver (G-2): what is wrong with a real system's feed.

    A full read and a read in small pages return the same records, every record reads,
    and every change time carries its zone.
    """
    problems: list[str] = []
    full = probe.read(entity)
    paged = probe.read(entity, limit=page_size)
    if set(full.ids()) != set(paged.ids()):
        lost = sorted(set(full.ids()) ^ set(paged.ids()))
        problems.append(f"a read in pages of {page_size} differs from a full read: {lost}")
    if any(len(p.changes) > page_size for p in paged.pages):
        problems.append(f"a page held more than the {page_size} records asked for")
    problems += [f"{c.id} cannot be read: {c.problem}" for c in full.changes if c.problem]
    naive = [c.id for c in full.changes if c.updated_at is not None and c.updated_at.tzinfo is None]
    if naive:
        problems.append(f"change times without a zone: {naive}")
    return problems
