"""Where each F/K program keeps a customer: one module per flavour, the one place for its choices.

Written from ``docs/fk-database.md`` (from the programs' published table descriptions). A flavour
reads a page of customers into *rows* (a dict with the same keys for every flavour) and
writes rows back. The choices the vendors do not document publicly are marked CHOSEN; to
correct one, change it here.

Row keys: ``key`` (the table's primary key), ``code``, ``first``, ``last``, ``name``,
``nip``, ``street``, ``postcode``, ``city``, ``country``, ``email``, ``phone``,
``credit_allowed``, ``credit_limit``, ``balance``, ``discount_group``, ``shops``.
"""

from __future__ import annotations

from plugins.fk.flavours.base import MONEY, Delivery, Flavour, Row
from plugins.fk.flavours.generic import Generic
from plugins.fk.flavours.subiekt_gt import SubiektGT
from plugins.fk.flavours.wf_mag import WFMag

FLAVOURS: dict[str, type[Flavour]] = {f.name: f for f in (SubiektGT, WFMag, Generic)}

__all__ = ["FLAVOURS", "MONEY", "Delivery", "Flavour", "Generic", "Row", "SubiektGT", "WFMag"]
