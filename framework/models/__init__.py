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
    KeptValue,
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
from framework.models.webhook import Notification, Subscription, WebhookEvent

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
    "KeptValue",
    "MatchQuery",
    "MatchResult",
    "MergeOutcome",
    "MergeRequest",
    "Message",
    "Note",
    "Notification",
    "Op",
    "Phone",
    "Product",
    "Purchase",
    "RefTo",
    "ServiceJob",
    "SmsNotification",
    "Subscription",
    "SystemCheck",
    "SystemContext",
    "SystemSettings",
    "TradeCredit",
    "WebhookEvent",
    "WishItem",
    "WriteOp",
    "WriteRequest",
    "entity_model",
    "entity_names",
]
