"""Shared rate budgets: a platform's cap is per account, not per worker.

Every worker of a fleet serving the same platform account (same connector, same base URL,
same credentials) takes its requests from one budget kept in PostgreSQL (pyrate-limiter's
``PostgresBucket``, in the fleet's schema), paced as a single client's would be
(:func:`framework.http.paced_rates`). The account is named by a digest: no secret is
stored or shown. A system without ``rate_limit_per_minute`` has no budget.
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

from pyrate_limiter import Limiter
from pyrate_limiter.buckets.postgres import PostgresBucket

from framework.http import PACING_BUFFER_MS, paced_rates
from framework.models import HttpSettings
from framework.secrets import secrets_in
from framework.state.postgres.connection import pool

if TYPE_CHECKING:
    from framework.engine.engine import Limiters
    from framework.fleet.config import FleetConfig

_limiters: dict[tuple[str, str, str], Limiter] = {}
_lock = threading.Lock()


def account_of(settings: HttpSettings) -> str:
    """A short digest naming the platform account behind a system's settings."""
    body = "\x1f".join([settings.connector, str(settings.base_url), *sorted(secrets_in(settings))])
    return hashlib.blake2b(body.encode(), digest_size=8).hexdigest()


def shared_limiter(url: str, schema: str, settings: HttpSettings) -> Limiter | None:
    """The process's limiter of the account behind ``settings`` (one per account)."""
    per_minute = settings.rate_limit_per_minute
    if not per_minute:
        return None
    key = (url, schema, f"{account_of(settings)}_{per_minute}")
    with _lock:
        found = _limiters.get(key)
        if found is None:
            bucket = PostgresBucket(
                pool(url, schema, 4, autocommit=False),
                f"budget_{key[2]}",
                paced_rates(per_minute, 60.0),
            )
            found = _limiters[key] = Limiter(bucket, buffer_ms=PACING_BUFFER_MS)
        return found


def close_limiters(url: str | None = None, schema: str | None = None) -> None:
    """Stop and forget this process's limiters (of ``url`` and ``schema``, or all).

    A limiter's bucket is leaked by a background thread that asks PostgreSQL for the time:
    before its pool closes (a test's schema dropped, a worker ending), the limiter must stop,
    or that thread keeps logging the closed pool's errors into whatever runs next.
    """
    with _lock:
        keys = [k for k in _limiters if url in (None, k[0]) and schema in (None, k[1])]
        found = [_limiters.pop(k) for k in keys]
    for limiter in found:
        limiter.close()


def shared_limiters(config: FleetConfig) -> Limiters:
    """What :class:`~framework.engine.engine.Engine` takes as ``limiters`` in a fleet."""
    url, schema = config.url, config.state.schema_name

    def limiter(name: str, settings: HttpSettings) -> Limiter | None:
        return shared_limiter(url, schema, settings)

    return limiter
