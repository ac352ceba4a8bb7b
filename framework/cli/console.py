"""``syncwright console``: serve the console (docs/console.md); ``hash-password`` for users."""

from __future__ import annotations

import ipaddress
import logging
import signal
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console

from framework.cli.stores import StoreOption, TenantOption, chosen
from framework.errors import SyncwrightError
from framework.state.factory import describe_store, with_store

console_app = typer.Typer(
    help="The console: a web page to see and steer every sync (docs/console.md).",
    invoke_without_command=True,
)
out = Console()
log = logging.getLogger("syncwright.console")


def loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@console_app.callback()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8400,
    no_auth: Annotated[
        bool,
        typer.Option("--no-auth", help="Nobody logs in (everyone is an operator): 127.0.0.1 only."),
    ] = False,
    store: StoreOption = None,
    tenant: TenantOption = None,
) -> None:
    """Serve the console for the configuration (log in as a user of [console] users)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from framework.console.app import create_app
    from framework.console.auth import TOKEN_ENV, Auth

    if no_auth and not loopback(host):
        raise SyncwrightError(
            f"--no-auth is allowed on 127.0.0.1 only (not {host}): anyone who reaches the "
            "page could change the sync; add [console] users instead"
        )
    config, hooks = chosen(ctx)  # the global --store/--tenant, if given
    config = with_store(config, store, tenant)  # or this command's own
    auth = Auth.from_config(config.console, no_auth=no_auth)
    if not auth.anyone_can_log_in:
        raise SyncwrightError(
            f"{config.source}: nobody can log in to the console: add [[console.users]] "
            f"(syncwright console hash-password makes the hash), set {TOKEN_ENV}, or use "
            "--no-auth on 127.0.0.1"
        )
    app = create_app(config, hooks, auth=auth)
    who = "no log-in (--no-auth)" if no_auth else f"{len(auth.users)} user(s)"
    where = describe_store(config)
    out.print(
        f"syncwright console on http://{host}:{port}/ ({who}; state {where}); Ctrl-C stops it",
        highlight=False,
        soft_wrap=True,
    )
    server = _server_class()(
        uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    )
    try:
        server.run()
    finally:
        app.state.console.close()  # runs started here stop after the record in hand


def _server_class() -> type[Any]:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn, but SIGTERM is a clean stop (exit 0), as for ``syncwright run``."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            captured = getattr(self, "_captured_signals", None)
            if sig != signal.SIGINT and captured and captured[-1] == sig:
                captured.pop()  # not raised again once shut down: Ctrl-C alone is

    return Server


@console_app.command("hash-password")
def hash_password_command(
    name: Annotated[str, typer.Option(help="The user's name.")] = "operator",
    role: Annotated[str, typer.Option(help="viewer or operator.")] = "operator",
) -> None:
    """Ask for a password; print the console.users table that holds its argon2 hash."""
    from framework.console.auth import ROLES, hash_password

    if role not in ROLES:
        raise SyncwrightError(f"--role must be viewer or operator, not {role!r}")
    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise SyncwrightError("a console password has at least 8 characters")
    import tomli_w

    user = {"name": name, "role": role, "password_hash": hash_password(password)}
    typer.echo(tomli_w.dumps({"console": {"users": [user]}}).strip())  # to paste, unwrapped
