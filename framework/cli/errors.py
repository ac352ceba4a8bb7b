"""The one place the command line turns errors into what a user reads: one line, an exit code.

Every command runs through :func:`run_cli`, so no command needs a ``try``/``except`` of its
own for this. What it does with what escapes a command:

- a usage error (an unknown option, a missing argument, a bad value): one line saying what
  is wrong and where the command's help is, exit 2;
- an error syncwright raises on purpose (:class:`SyncwrightError`: configuration, plugins,
  connectors) or one the operating system raises (a file that cannot be read): one line,
  exit 2;
- anything else is a bug: one line naming it and how to see the traceback (``--debug``),
  exit 70 (``EX_SOFTWARE``); with ``--debug`` the traceback is shown.

Exit codes of the ``syncwright`` command: 0 done; 1 a run or check did not finish (see its
report); 2 a bad invocation or configuration; 3 a run held a mass change (its guard, see
docs/operators.md: approve or reject it); 70 a bug (unexpected error); 75 another process
runs the pair (its lease, ``framework/engine/lease.py``): try again later; 130 stopped
with Ctrl-C. Tracebacks (``--debug``) are masked like every other output: never a secret
that a frame or a message held.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console

from framework.engine.lease import EXIT_BUSY, LeaseHeld, LeaseLost
from framework.errors import SyncwrightError
from framework.secrets import redact

USAGE = 2
UNEXPECTED = 70  # sysexits.h EX_SOFTWARE
INTERRUPTED = 130

err_console = Console(stderr=True)


def say(message: str) -> None:
    """Print ``message`` to standard error on one line (never wrapped, never read as markup)."""
    err_console.print(
        redact(" ".join(message.split())), highlight=False, markup=False, soft_wrap=True
    )


def _usage(exc: typer.TyperException) -> str:
    """One line for a click/typer usage error, with where to find the command's help."""
    ctx: Any = getattr(exc, "ctx", None)
    message = exc.format_message()
    if ctx is not None and "NoArgsIsHelp" not in type(exc).__name__:
        return f"error: {message} (see `{ctx.command_path} --help`)"
    return f"error: {message}"


def _os_error(exc: OSError) -> str:
    where = f": {exc.filename}" if exc.filename else ""
    return f"error: {exc.strerror or exc}{where}"


def _traceback(code: int) -> int:
    """Print the exception being handled with its traceback, masked (``--debug``)."""
    err_console.print(redact(traceback.format_exc()), highlight=False, markup=False, soft_wrap=True)
    return code


def run_cli(command: Any, args: Sequence[str] | None = None, prog_name: str = "syncwright") -> int:
    """Run the click command behind a typer app; return the exit code (see the module doc).

    Args:
        command: the click command (``typer.main.get_command(app)``).
        args: the arguments (default: ``sys.argv[1:]``).
        prog_name: the program's name in usage lines.
    """
    argv = list(sys.argv[1:] if args is None else args)
    debug = "--debug" in argv or bool(os.environ.get("SYNCWRIGHT_DEBUG"))
    try:
        rv = command.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except typer.TyperException as exc:
        if "NoArgsIsHelp" in type(exc).__name__:  # a bare group: its help, as click does
            typer.echo(exc.format_message())
            return USAGE
        say(_usage(exc))
        return int(getattr(exc, "exit_code", USAGE) or USAGE)
    except typer.Abort:
        say("aborted")
        return 1
    except (KeyboardInterrupt, EOFError):
        say("stopped")
        return INTERRUPTED
    except (LeaseHeld, LeaseLost) as exc:  # another process runs the pair: try again later
        say(f"error: {exc}")
        return EXIT_BUSY
    except SyncwrightError as exc:
        if debug:
            return _traceback(USAGE)
        say(f"error: {exc}")
        return USAGE
    except OSError as exc:
        if debug:
            return _traceback(USAGE)
        say(_os_error(exc))
        return USAGE
    except Exception as exc:
        if debug:
            return _traceback(UNEXPECTED)
        detail = f": {exc}" if str(exc) else ""
        say(
            f"error: unexpected {type(exc).__name__}{detail} (a bug in syncwright or a plugin; "
            "re-run with --debug for the traceback)"
        )
        return UNEXPECTED
    return rv if isinstance(rv, int) else 0
