"""Associates: the people who make changes, on the POS and on platforms (G-8, CB-11)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Associate(BaseModel):
    """A platform user; ``pos_id`` is the POS associate number it maps to, when set."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str | None = None
    pos_id: str | None = None


class AssociateMapping(BaseModel):
    """The POS associate to record for a platform user's change, and how it was found."""

    model_config = ConfigDict(extra="forbid")

    pos_associate: str
    source: Literal["mapped", "default"]
