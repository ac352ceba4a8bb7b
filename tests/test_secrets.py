"""Secrets never leak: not in output, logs, errors, the state store or any file (SecretStr).

The engine runs as the ``syncwright`` command with debug logging, against a fake
Clientbook that fails in every way, and behind a hostile proxy that echoes the request's
``Authorization`` header in its error bodies (some gateways do). Then the key is searched
for in everything the runs printed or wrote, in every form it can take: as it is, escaped
(JSON, a Python ``repr`` of the text or of the header's bytes), URL-encoded, and inside
base64 (basic auth). A key read from a file keeps its newline: it is stripped, and a key
with a line break inside is refused when the configuration loads, naming the setting.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from pydantic import BaseModel, SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake
from fakes.toolkit import BackgroundServer, FaultPlan, FaultRule, FaultState
from framework.config import parse_config
from framework.engine.engine import Engine
from framework.errors import ConfigError, FatalError
from framework.http import CallMeter, build_client, request_json
from framework.models import HttpSettings
from framework.secrets import MASK, mask_credentials, redact, register_secret, secrets_in
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


def cli(tmp: Path, *args: str, key: str = KEY) -> tuple[str, int]:
    """``syncwright -v ARGS`` with the key in ``CB_KEY``: its output and exit code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CB_KEY": key, "COLUMNS": "400"}
    done = subprocess.run(
        [sys.executable, "-m", "framework.cli", "-vv", "-c", str(tmp / "syncwright.toml"), *args],
        capture_output=True,
        env=env,
        cwd=tmp,
        timeout=120,
    )
    output = (done.stdout + done.stderr).decode(errors="replace")
    runs = len(list(tmp.glob("out-*.txt")))
    (tmp / f"out-{runs}-{'-'.join(args)}.txt").write_text(output)  # scanned with other files
    return output, done.returncode


def syncwright(tmp: Path, *args: str, key: str = KEY) -> str:
    return cli(tmp, *args, key=key)[0]


def written_forms(key: str) -> dict[str, str]:
    """The ways text can hold ``key`` other than base64 (see :func:`in_base64`)."""
    raw = key.encode()
    return {
        "as is": key,
        "JSON": json.dumps(key)[1:-1],
        "repr": repr(key)[1:-1],
        "bytes repr (a header)": repr(raw)[2:-1],
        "URL-encoded": quote(key, safe=""),
        "URL-encoded, lower-case hex": re.sub(
            "%[0-9A-F]{2}", lambda m: m.group().lower(), quote(key, safe="")
        ),
        "form-encoded": quote_plus(key),
    }


def in_base64(key: str, text: str) -> bool:
    """Whether a base64 run in ``text`` decodes to bytes holding ``key`` (at any offset)."""
    for run in re.findall(r"[A-Za-z0-9+/_-]{12,}", text):
        for start in range(4):
            part = run[start:]
            part = part[: len(part) // 4 * 4]
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    if key.encode() in decode(part):
                        return True
                except ValueError:
                    continue
    return False


def leaks(tmp: Path, outputs: list[str], key: str = KEY) -> list[str]:
    """Every output and file holding ``key`` in any form, and the form."""
    texts = {f"output #{n}": text for n, text in enumerate(outputs)}
    for path in tmp.rglob("*"):
        if path.is_file():
            texts[str(path.relative_to(tmp))] = path.read_bytes().decode("latin-1")
    found = []
    for where, text in texts.items():
        text += "\n" + re.sub(r"[ \t]*\r?\n[ \t]*", "", text)  # and a key cut by a wrap
        for form, written in written_forms(key).items():
            if written in text:
                found.append(f"{where}: {form}")
        if in_base64(key, text):
            found.append(f"{where}: base64")
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


# Characters every form writes differently: a quote, a backslash, a slash, a plus.
ODD_KEY = 'sk_live_51Hq"KNOWN"\\fake/key+7f3a9c'


class FormsProxy:
    """Echoes the request's Authorization header in every form some gateway writes it.

    Every third request is answered 503 with the header in a response header (an HTTP
    library's debug line shows it as bytes, ``b'...'``) and, in the error message, quoted
    in JSON, URL-encoded both ways and as a basic auth of the key. The first write (a
    batch) is refused with 422 saying the same in a text body, after a JSON dump of the
    request's headers (its reason is stored as a problem for each record).
    """

    def __init__(self, app: ASGIApp):
        self.app = app
        self.calls = 0
        self.refused = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_fake/"):
            await self.app(scope, receive, send)
            return
        self.calls += 1
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()
        first_write = scope["method"] == "POST" and not self.refused
        self.refused |= first_write
        status = 422 if first_write else 503 if self.calls % 3 == 2 else None
        if status is None:
            await self.app(scope, receive, send)
            return
        token = auth.removeprefix("Bearer ")
        basic = base64.b64encode(f"apikey:{token}".encode()).decode()
        said = (
            f"proxy saw {auth}, url {quote(auth, safe='')} form {quote_plus(auth)} "
            f"basic {basic} header {auth.encode()!r}"
        )
        body = json.dumps({"error": {"type": "gateway", "message": said, "field": None}})
        kind = b"application/json"
        if first_write:  # not Clientbook's error shape: the connector quotes it as it is
            echoed = json.dumps({"authorization": auth})
            body, kind = f"gateway echoed {echoed}; {said}", b"text/plain"
        headers = [
            (b"content-type", kind),
            (b"x-echo", auth.encode()),
            (b"x-echo-url", quote(auth).encode()),
            (b"www-authenticate", f"Basic {basic}".encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body.encode()})


@pytest.mark.parametrize(
    "written", ["{key}", "{key}\n", "  {key} \r\n"], ids=["as is", "newline", "whitespace"]
)
def test_the_key_is_in_no_output_or_file_in_any_form(tmp_path: Path, written: str):
    state = ClientbookState(api_key=ODD_KEY)
    state.add_associate("as_12", "Maria", "12")
    proxy = FormsProxy(make_app(state, FaultState()))
    server = BackgroundServer(proxy).start()
    edge = EdgeFake(tmp_path / "edt")
    for i in range(12):
        edge.add_customer(f"F{i}", "Forms", emails=[("Home", f"f{i}@example.com")])
    config(tmp_path, server.url)
    key = written.format(key=ODD_KEY)  # as read from a file, newline and all
    outputs = []
    try:
        for _ in range(3):
            edge.run_cycle()
            output, code = cli(tmp_path, "run", "--once", key=key)
            outputs.append(output)
            assert code == 0, output[-2000:]
        outputs.append(syncwright(tmp_path, "problems", key=key))  # reasons quote the proxy
        outputs.append(syncwright(tmp_path, "problems", "retry", key=key))
        outputs.append(syncwright(tmp_path, "run", "--once", key=key))
    finally:
        server.stop()
    text = "\n".join(outputs)
    assert proxy.refused, "a write was refused"
    assert "proxy saw" in text, "the hostile answers were seen"
    assert "x-echo" in text, "debug logging showed the answers' headers"
    assert "LocalProtocolError" not in text
    assert "Illegal header" not in text
    assert leaks(tmp_path, outputs, ODD_KEY) == []
    assert len(list(state.clients.live())) == 12, "the key worked: the store synced"
    assert 'answered 422: gateway echoed {"authorization": "Bearer ***"}' in text, "a problem"


def test_a_key_with_a_line_break_inside_is_refused_at_configuration_load(tmp_path: Path):
    config(tmp_path, "http://127.0.0.1:9")
    for key in (f"{KEY}\nX", f"{KEY[:10]}\t{KEY[10:]}", f"{KEY}é"):
        output, code = cli(tmp_path, "run", "--once", key=key)
        assert code == 2, output
        [line] = output.strip().splitlines()
        assert line.startswith("error: "), line
        assert "systems.clientbook.api_key" in line, line
        assert "the value is not shown" in line
        assert leaks(tmp_path, [output]) == []


def test_a_secret_with_a_control_character_is_refused_in_any_connectors_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    data = edge_clientbook_config(tmp_path)
    data["systems"]["podium"] = {
        "connector": "podium",
        "client_id": "env:PD_ID",
        "client_secret": "cs-2222\n",
        "refresh_token": "rt-3333",
        "tier": "clientele",
    }
    monkeypatch.setenv("PD_ID", "  id-1111\n")
    cfg, _ = parse_config(data, source="t.toml", base_dir=tmp_path)
    podium = cfg.systems["podium"]
    secrets = sorted(secrets_in(podium))
    assert secrets == ["cs-2222", "id-1111", "rt-3333"], "surrounding whitespace stripped"
    data["systems"]["podium"]["refresh_token"] = "rt-\x003333"
    with pytest.raises(ConfigError) as refused:
        parse_config(data, source="t.toml", base_dir=tmp_path)
    assert "systems.podium.refresh_token" in str(refused.value)
    assert "3333" not in str(refused.value)


def test_a_request_the_http_library_refuses_is_a_configuration_error_not_retried(tmp_path: Path):
    state = ClientbookState(api_key=KEY)
    server = BackgroundServer(make_app(state, FaultState())).start()
    meter = CallMeter()
    settings = HttpSettings(connector="x", base_url=server.url)
    try:
        with (
            build_client("clientbook", settings, meter) as client,
            pytest.raises(FatalError) as refused,
        ):
            request_json(
                client,
                "GET",
                "/v1/clients",
                system="clientbook",
                headers={"authorization": f"Bearer {KEY}\nX-Injected: 1"},
            )
    finally:
        server.stop()
    message = str(refused.value)
    assert "check the system's settings" in message
    assert KEY not in message, "the header is not quoted"
    assert "Bearer" not in message
    assert meter.calls("clientbook") <= 1, "sent at most once"


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


def test_a_secret_is_masked_in_each_form_it_can_be_written():
    secret = 'pässwörd"\\x/y+z=1'  # non-ASCII: the text's and the bytes' repr differ
    register_secret(f"  {secret}\n")  # registered as it was read, newline and all
    encoded = secret.encode()
    written = {
        "as is": secret,
        "repr": repr(secret),
        "bytes repr": repr(encoded),
        "JSON": json.dumps(secret),
        "JSON, not ASCII": json.dumps(secret, ensure_ascii=False),
        "URL-encoded": quote(secret, safe=""),
        "URL path": quote(secret),
        "form": quote_plus(secret),
        "URL, lower-case hex": quote(secret, safe="").lower(),
    }
    for before in ("", "u", "us", "user:"):  # a basic auth, at each base64 alignment
        written[f"base64 after {before!r}"] = base64.b64encode(
            f"{before}{secret}!".encode()
        ).decode()
    for form, text in written.items():
        masked = redact(f"<{text}>")
        assert MASK in masked, form
        assert not in_base64(secret, masked), form
        for other, shown in written_forms(secret).items():
            assert shown not in masked, f"{form}: {other} still shown"
