"""The benchmark of syncwright: a store's initial upload and incremental runs against the floor.

``nox -s bench`` (``python -m benchmarks``); the method is in ``benchmarks/README.md``.
"""
