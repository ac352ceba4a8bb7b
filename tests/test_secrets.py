"""Secrets never leak: not in output, logs, errors, the state store or any file (SecretStr).

The engine runs as the ``syncwright`` command with debug logging, against a fake
Clientbook that fails in every way, and behind a hostile proxy that echoes the request's
``Authorization`` header in its error bodies (some gateways do). Then the key is searched
for in everything the runs printed or wrote.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake
from fakes.toolkit import BackgroundServer, FaultPlan, FaultRule, FaultState
from framework.config import parse_config
from framework.engine.engine import Engine
from framework.secrets import MASK, mask_credentials, redact, secrets_in
from tests.configs import edge_clientbook_toml
from tests.harness import edge_clientbook_config

KEY = "sk_live_51Hq-KNOWN-fake-key-7f3a9c"
ROOT = Path(__file__).resolve().parent.parent


class EchoingProxy:
    """Answers some requests with an error body holding the request's Authorization header."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_fake/"):
            await self.app(scope, receive, send)
            return
        self.calls += 1
        headers = dict(scope["headers"])
        auth = headers.get(b"authorization", b"").decode()
        status = {2: 503, 4: 502, 6: 422}.get(self.calls)
        if status is None:
            await self.app(scope, receive, send)
            return
        body = (
            '{"error": {"type": "invalid_request", "message": "proxy saw '
            + auth
            + '", "field": null}}'
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"x-echo", auth.encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def hostile() -> Iterator[tuple[ClientbookState, str]]:
    state = ClientbookState(api_key=KEY)
    state.add_associate("as_12", "Maria", "12")
    faults = FaultState(
        FaultPlan(
            rules=[
                FaultRule(kind="429", nth=[1], retry_after=0.01),
                FaultRule(kind="500", nth=[2]),
                FaultRule(kind="drop", nth=[3], when="after"),
                FaultRule(kind="malformed", nth=[4]),
                FaultRule(kind="slow", nth=[5], delay=1.0),
            ]
        )
    )
    server = BackgroundServer(EchoingProxy(make_app(state, faults))).start()
    yield state, server.url
    server.stop()


def config(tmp: Path, url: str, key: str = "env:CB_KEY") -> Path:
    return edge_clientbook_toml(tmp, url, key, retry_attempts=3, clientbook="timeout = 0.3")


def syncwright(tmp: Path, *args: str, key: str = KEY) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CB_KEY": key, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "framework.cli", "-vv", "-c", str(tmp / "syncwright.toml"), *args],
        capture_output=True,
        env=env,
        cwd=tmp,
        timeout=120,
    )
    output = (done.stdout + done.stderr).decode(errors="replace")
    (tmp / f"out-{'-'.join(args)}.txt").write_text(output)  # scanned with the other files
    return output


def leaks(tmp: Path, outputs: list[str]) -> list[str]:
    found = [f"output #{n}" for n, text in enumerate(outputs) if KEY in text]
    for path in tmp.rglob("*"):
        if path.is_file() and KEY.encode() in path.read_bytes():
            found.append(str(path.relative_to(tmp)))
    return found


def test_the_key_appears_nowhere_after_failing_runs_with_debug_logging(tmp_path: Path, hostile):
    state, url = hostile
    edge = EdgeFake(tmp_path / "edt")
    for i in range(30):
        edge.add_customer(f"K{i}", "Secret", emails=[("Home", f"k{i}@example.com")])
    state.create_client({"first_name": "Cloud", "email": "cloud@example.com"}, "as_12")
    config(tmp_path, url)
    outputs = []
    for _ in range(3):
        edge.run_cycle()
        outputs.append(syncwright(tmp_path, "run", "--once"))
    outputs.append(syncwright(tmp_path, "status"))
    outputs.append(syncwright(tmp_path, "problems"))
    outputs.append(syncwright(tmp_path, "problems", "retry"))
    outputs.append(syncwright(tmp_path, "run", "--once", key="the-wrong-key-but-a-secret"))
    text = "\n".join(outputs)
    assert "proxy saw" in text, "the hostile answers were seen (and masked)"
    assert MASK in text
    assert "DEBUG" in text or "HTTP Request" in text, "debug logging was on"
    assert "401" in text, "a run failed on the credentials"
    assert "the-wrong-key-but-a-secret" not in text
    assert leaks(tmp_path, outputs) == []
    assert len(list(state.clients.live())) == 31, "and the store still synced"


def test_a_configuration_error_does_not_print_the_key(tmp_path: Path):
    (tmp_path / "syncwright.toml").write_text(f"""
[systems.clientbook]
connector = "clientbook"
base_url = "not a url"
api_key = "{KEY}"
timeout = "{KEY}"
""")
    output = syncwright(tmp_path, "status")
    assert "systems.clientbook" in output
    assert KEY not in output


def test_secret_settings_are_masked_in_logs_and_never_repr(tmp_path: Path, caplog):
    config_data = edge_clientbook_config(tmp_path)
    config_data["systems"]["clientbook"]["api_key"] = KEY
    cfg, hooks = parse_config(config_data, source="t.toml", base_dir=tmp_path)
    engine = Engine(cfg, hooks)
    settings = engine.systems["clientbook"].settings
    assert KEY not in repr(settings)
    assert KEY not in str(settings.model_dump())
    assert KEY not in settings.model_dump_json()
    assert redact(f"Bearer {KEY}") == f"Bearer {MASK}"
    engine.close()


def test_every_secret_of_a_connectors_settings_is_found_and_masked():
    class OAuth(BaseModel):
        client_id: str
        client_secret: SecretStr

    class Settings(BaseModel):
        token: SecretStr
        oauth: OAuth
        passwords: list[SecretStr]

    settings = Settings(
        token="tok-1111",
        oauth=OAuth(client_id="public", client_secret="cs-2222"),
        passwords=["pw-3333"],
    )
    assert sorted(secrets_in(settings)) == ["cs-2222", "pw-3333", "tok-1111"]
    headers = [("authorization", "Bearer tok-9999"), ("x-api-key", "k-8888"), ("accept", "*/*")]
    text = "saw Bearer tok-9999 and k-8888 and */*"
    assert mask_credentials(text, headers) == f"saw Bearer {MASK} and {MASK} and */*"


def test_tls_verification_is_on_unless_switched_off_with_a_warning(tmp_path: Path, caplog):
    caplog.set_level(logging.WARNING)
    data = edge_clientbook_config(tmp_path)
    cfg, hooks = parse_config(data, source="t.toml", base_dir=tmp_path)
    assert cfg.systems["clientbook"].verify_tls is True  # type: ignore[attr-defined]
    Engine(cfg, hooks).close()
    assert "TLS verification is OFF" not in caplog.text
    data["systems"]["clientbook"]["verify_tls"] = False
    cfg, hooks = parse_config(data, source="t.toml", base_dir=tmp_path)
    Engine(cfg, hooks).close()
    assert "TLS verification is OFF for system 'clientbook'" in caplog.text
