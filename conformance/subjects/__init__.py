"""Declarations of the bundled connectors as conformance subjects (``syncwright.conformance``).

Each module holds one system's driver (written from that system's documentation, like its
connector and its fake) and a :class:`~conformance.subject.Subject` naming the connector
and a factory for a fresh fake. Adding a connector's declaration is a module here and one
line in ``pyproject.toml``.
"""
