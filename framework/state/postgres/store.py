"""The PostgreSQL state store: the SQLite store's interface, for many stores in one database.

One module per concern (``staging``, ``keys``, ``records``, ``journal``, ``problems``,
``runs``, ``leases``, ``operators``, ``webhooks``), each a mixin over
:class:`~framework.state.postgres.connection.Connected`; a new store method goes in the
module of its concern, with its SQL in a new migration.
"""

from __future__ import annotations

from framework.state.postgres.connection import Connected
from framework.state.postgres.journal import Journal
from framework.state.postgres.leases import Leases
from framework.state.postgres.migrations import require_current
from framework.state.postgres.operators import Operators
from framework.state.postgres.problems import Problems
from framework.state.postgres.records import Records
from framework.state.postgres.runs import Runs
from framework.state.postgres.staging import Staging
from framework.state.postgres.webhooks import Webhooks


class PostgresStore(
    Staging, Records, Journal, Problems, Runs, Leases, Operators, Webhooks, Connected
):
    """The state of one tenant (a store of a fleet) in a PostgreSQL schema.

    Raises:
        StoreUnavailable: the server cannot be reached, or the schema is not at this
            syncwright's version (``syncwright db upgrade``).
    """

    def __init__(self, url: str, *, schema: str = "syncwright", tenant: str = "default"):
        require_current(url, schema)
        super().__init__(url, schema=schema, tenant=tenant)

    def reopen(self) -> PostgresStore:
        """Another connection to the same schema and tenant, for another thread."""
        return PostgresStore(self.url, schema=self.schema, tenant=self.tenant)
