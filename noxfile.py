"""The one way to run things: nox sessions (tests, lint, typecheck, conformance, postgres;
bench and fidelity apart)."""

import os
import socket
from urllib.parse import urlsplit

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "conformance", "postgres"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (pytest, in parallel)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", "--durations=15", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and format check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict, over the four packages."""
    session.install("-e", ".[test]", "mypy>=1.10", "types-PyYAML>=6.0")
    session.run("mypy")


@nox.session
def conformance(session: nox.Session) -> None:
    """The conformance suite on every declared connector; ends with the rule x connector matrix.

    The example third-party package is installed like any other distribution, so its
    connector and its subject are found only through entry points.
    """
    session.install("-e", ".[test]")
    session.install("./examples/thirdparty-connector")
    session.run(
        "python",
        "-c",
        "from conformance.subject import load_subjects; load_subjects(['example-crm'])",
    )
    session.run("pytest", "--syncwright-conformance", "-n", "auto", *session.posargs)


def _where(url: str) -> str:
    """host:port of a PostgreSQL URL (never its password)."""
    parts = urlsplit(url)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or 5432}"


def _reachable(url: str) -> bool:
    """Whether something listens at the URL's host and port."""
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2).close()
    except OSError:
        return False
    return True


@nox.session
def postgres(session: nox.Session) -> None:
    """The conformance suite with every world's state in PostgreSQL (issue 19).

    ``SYNCWRIGHT_CONFORMANCE_STORE`` names the server (default the development machine's);
    the PostgreSQL store's own tests (the store contract on both stores, the engine and
    fleet on PostgreSQL) run in ``tests``, skipped in one line without a server and
    required in CI.
    """
    url = os.environ.get("SYNCWRIGHT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    if not _reachable(url) and not os.environ.get("SYNCWRIGHT_CI"):
        session.skip(f"no PostgreSQL server at {_where(url)}: conformance on PostgreSQL skipped")
    session.install("-e", ".[test]")
    session.install("./examples/thirdparty-connector")
    session.run(
        "pytest",
        "--syncwright-conformance",
        "-n",
        "auto",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"SYNCWRIGHT_CONFORMANCE_STORE": url},
    )


@nox.session
def fidelity(session: nox.Session) -> None:
    """schemathesis on every HTTP fake with its vendor's spec, more examples than ``tests``.

    ``nox -s fidelity`` (50 examples per operation), ``nox -s fidelity -- --fidelity-examples
    200``. The same tests run in ``tests`` with 5; the run ends with what each generated and
    found.
    """
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "tests/test_fidelity.py",
        "-m",
        "fidelity",
        "-n",
        "auto",
        "-p",
        "no:cacheprovider",
        "--fidelity-examples",
        "50",
        *session.posargs,
    )


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark, not run by default: ``nox -s bench`` (10k), ``nox -s bench -- --size 100k``.

    Initial upload, incremental runs and a rate-limited run against the floor; appends to
    ``benchmarks/RESULTS.md`` (see ``benchmarks/README.md``).
    """
    session.install("-e", ".[bench]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(name="bench-console")
def bench_console(session: nox.Session) -> None:
    """The console's pages at 100k customers, 1M move-log entries (``-- --size 10k``).

    Appends the median, slowest and CPU times of each page to ``benchmarks/RESULTS.md``.
    """
    session.install("-e", ".")
    session.run("python", "-m", "benchmarks.console", *session.posargs)
