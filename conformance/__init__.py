"""The conformance suite: a pytest plugin that proves a connector honours the rules.

A connector author declares a :class:`Subject` (the connector, a factory for its fake, its
claims) and runs ``pytest --syncwright-conformance`` (declared under the entry-point group
``syncwright.conformance``) or puts ``TestMine = conformance_tests(subject)`` in a test
module. See ``docs/conformance.md``.

Imports are lazy: the pytest plugin (:mod:`conformance.plugin`) loads this package in every
pytest run of an environment where syncwright is installed, and must cost nothing there.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.driver import Driver, Users
    from conformance.factory import conformance_tests
    from conformance.subject import Claims, FakeSystem, Refusal, Subject

_EXPORTS = {
    "Claims": "conformance.subject",
    "Driver": "conformance.driver",
    "FakeSystem": "conformance.subject",
    "Refusal": "conformance.subject",
    "Subject": "conformance.subject",
    "Users": "conformance.driver",
    "conformance_tests": "conformance.factory",
}

__all__ = [
    "Claims",
    "Driver",
    "FakeSystem",
    "Refusal",
    "Subject",
    "Users",
    "conformance_tests",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'conformance' has no attribute {name!r}")
