"""The fake Clientbook: an in-memory Starlette app following ``docs/clientbook-api.md``."""

from fakes.clientbook.app import make_app
from fakes.clientbook.state import ClientbookState

__all__ = ["ClientbookState", "make_app"]
