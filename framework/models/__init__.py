"""Canonical records and the models that travel through the hooks."""

from framework.models.activity import (
    Appointment,
    Message,
    Note,
    Product,
    Purchase,
    ServiceJob,
    SmsNotification,
    WishItem,
)
from framework.models.associate import Associate, AssociateMapping
from framework.models.base import CanonicalRecord, RefTo, entity_model, entity_names
from framework.models.changes import (
    ApplyResult,
    Change,
    ChangePage,
    MatchQuery,
    MatchResult,
    MergeOutcome,
    MergeRequest,
    Op,
    WriteOp,
    WriteRequest,
)
from framework.models.customer import Address, Customer, Email, Phone, TradeCredit
from framework.models.system import (
    ConnectorInfo,
    EntitySupport,
    HttpSettings,
    SystemCheck,
    SystemContext,
    SystemSettings,
)

__all__ = [
    "Address",
    "ApplyResult",
    "Appointment",
    "Associate",
    "AssociateMapping",
    "CanonicalRecord",
    "Change",
    "ChangePage",
    "ConnectorInfo",
    "Customer",
    "Email",
    "EntitySupport",
    "HttpSettings",
    "MatchQuery",
    "MatchResult",
    "MergeOutcome",
    "MergeRequest",
    "Message",
    "Note",
    "Op",
    "Phone",
    "Product",
    "Purchase",
    "RefTo",
    "ServiceJob",
    "SmsNotification",
    "SystemCheck",
    "SystemContext",
    "SystemSettings",
    "TradeCredit",
    "WishItem",
    "WriteOp",
    "WriteRequest",
    "entity_model",
    "entity_names",
]
