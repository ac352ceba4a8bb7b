"""syncwright: keep a store's POS or ERP in sync with the platforms it works with.

A connector author needs only what is exported here: ``hookimpl``, the canonical models,
the hook models, the ``Connector`` base class, the HTTP helpers and the error classes.
"""

from framework.connector import Connector
from framework.errors import (
    ConnectorError,
    FatalError,
    RecordRejected,
    RetryableError,
    StaleVersion,
)
from framework.http import request_json
from framework.markers import hookimpl
from framework.models import (
    Address,
    ApplyResult,
    Associate,
    AssociateMapping,
    CanonicalRecord,
    Change,
    ChangePage,
    ConnectorInfo,
    Customer,
    Email,
    EntitySupport,
    HttpSettings,
    MatchQuery,
    MatchResult,
    Op,
    Phone,
    RefTo,
    SystemContext,
    SystemSettings,
    WriteOp,
    WriteRequest,
)

__version__ = "0.1.0"

__all__ = [
    "Address",
    "ApplyResult",
    "Associate",
    "AssociateMapping",
    "CanonicalRecord",
    "Change",
    "ChangePage",
    "Connector",
    "ConnectorError",
    "ConnectorInfo",
    "Customer",
    "Email",
    "EntitySupport",
    "FatalError",
    "HttpSettings",
    "MatchQuery",
    "MatchResult",
    "Op",
    "Phone",
    "RecordRejected",
    "RefTo",
    "RetryableError",
    "StaleVersion",
    "SystemContext",
    "SystemSettings",
    "WriteOp",
    "WriteRequest",
    "__version__",
    "hookimpl",
    "request_json",
]
