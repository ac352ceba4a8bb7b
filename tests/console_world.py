"""A console over the test world: the real engine and fakes, users with argon2 hashes."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from fakes.toolkit import SyncASGITransport
from framework.config import parse_config
from framework.console.app import create_app
from framework.console.auth import Auth, hash_password
from framework.engine.engine import Engine
from framework.presets import deep_merge
from tests.square_world import TOKEN, SquareWorld, edge_square_config

SECRET = TOKEN
"""The Square token in the configuration: no page may show it."""

PASSWORDS = {"olga": "operator-pass-1", "vic": "viewer-pass-1"}
CHROMIUM = "/usr/bin/chromium"


@functools.cache
def console_settings() -> dict[str, Any]:
    """Two users: olga (operator) and vic (viewer); hashed once per test process."""
    return {
        "console": {
            "users": [
                {
                    "name": "olga",
                    "password_hash": hash_password(PASSWORDS["olga"]),
                    "role": "operator",
                },
                {"name": "vic", "password_hash": hash_password(PASSWORDS["vic"]), "role": "viewer"},
            ],
            "poll_seconds": 0.5,
        }
    }


def console_for(
    world: SquareWorld, *, no_auth: bool = False, settings: dict[str, Any] | None = None
) -> Starlette:
    """The console of ``world``'s configuration (with ``settings`` laid over it); every
    engine it makes talks to its fakes."""
    config, hooks = parse_config(
        deep_merge(deep_merge(edge_square_config(world.tmp), console_settings()), settings or {}),
        source="test.toml",
        base_dir=world.tmp,
    )

    def engines() -> Engine:
        # Each engine its own transport: closing an engine closes its transport's loop.
        return Engine(config, hooks, transports={"square": SyncASGITransport(world.app)})

    auth = Auth.from_config(config.console, no_auth=no_auth)
    return create_app(config, hooks, auth=auth, engines=engines, session_secret="s" * 32)


def troubled_world(tmp: Path) -> tuple[SquareWorld, str]:
    """A synced store with a problem (an Edge customer with a broken e-mail, G-5) and two
    duplicate Square customers (SQ-2); returns the world and the broken customer's key."""
    world = SquareWorld(tmp)
    for i in range(3):
        world.edge.add_customer(f"Good{i}", "Person", emails=[("Home", f"good{i}@example.com")])
    bad = world.edge.add_customer("Bea", "Broken", emails=[("Home", "bea@example.com")])
    world.edge.customers[bad]["Emails"][0]["PairValue"]["EmailEmail"] = "bea-at-example@"
    world.sq.create_customer(
        {"given_name": "Noa", "family_name": "Twice", "email_address": "noa@example.com"},
        "DIRECTORY",
    )
    world.sq.create_customer(
        {
            "given_name": "Noa",
            "family_name": "Twice",
            "email_address": "NOA@example.com",
            "phone_number": "+12175550155",
        },
        "APPOINTMENTS",
    )
    world.settle()
    return world, bad


def fix_broken_email(world: SquareWorld, key: str) -> None:
    """The store fixes the customer in Edge; the next EDT cycle exports it."""
    world.edge.customers[key]["Emails"][0]["PairValue"]["EmailEmail"] = "bea@example.com"
    world.edge.edit_customer(key)
    world.edge.run_cycle()


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def logged_in(client: TestClient, name: str) -> TestClient:
    """Log ``name`` in through the form, as a person does."""
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "name": name, "password": PASSWORDS[name], "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def chromium_or_skip() -> str:
    """Debian's Chromium for Playwright: absent, the test skips (fails under SYNCWRIGHT_CI=1)."""
    path = os.environ.get("SYNCWRIGHT_CHROMIUM", CHROMIUM)
    missing = None
    if not Path(path).exists() and shutil.which("chromium") is None:
        missing = f"no Chromium at {path} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "playwright is not installed (pip install -e '.[test]')"
    if missing is not None:
        if os.environ.get("SYNCWRIGHT_CI") == "1":
            pytest.fail(f"browser tests are required in CI: {missing}")
        pytest.skip(missing)
    return path if Path(path).exists() else str(shutil.which("chromium"))


GUARD = {"engine": {"guard": {"share": 0.05, "min_records": 3}}}
"""A guard that holds a mass change of three records or more (the default wants 50)."""
HELD_CUSTOMERS, BROKEN = 8, 6


def guarded_world(tmp: Path) -> tuple[SquareWorld, list[str]]:
    """A synced store of eight customers with e-mails; returns the world and their keys."""
    world = SquareWorld(tmp)
    keys = [
        world.edge.add_customer("Cu", f"Stomer{i}", emails=[("Home", f"c{i}@example.com")])
        for i in range(HELD_CUSTOMERS)
    ]
    world.settle()
    return world, keys


def break_export(world: SquareWorld, keys: list[str]) -> None:
    """The Edge export comes back with no e-mail for most customers (a broken export)."""
    for key in keys[:BROKEN]:
        world.edge.customers[key]["Emails"] = []
        world.edge.edit_customer(key)
    world.edge.run_cycle()


def square_emails(world: SquareWorld) -> int:
    """How many Square customers have an e-mail."""
    return sum(1 for c in world.sq.customers.live() if c.get("email_address"))
