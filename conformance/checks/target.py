"""A subject as the checks see it: its declaration completed from the connector's description."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.samples import KINDS
from conformance.subject import Claims, Role, Subject
from conformance.systems import hooks_for
from framework.models import ConnectorInfo, EntitySupport

GENERAL = frozenset(f"G-{n}" for n in range(1, 9))


@dataclass(frozen=True)
class Target:
    """The subject, its connector's description, and what it claims per entity."""

    subject: Subject
    info: ConnectorInfo
    claims: dict[str, Claims]
    roles: tuple[Role, ...]
    rules: frozenset[str]

    @property
    def label(self) -> str:
        """The subject's name."""
        return self.subject.label

    @property
    def entities(self) -> list[str]:
        """The entities checked (those the connector has and the suite can make samples of)."""
        return list(self.claims)

    def support(self, entity: str) -> EntitySupport:
        """What the connector says it can do with ``entity``."""
        return self.info.entities[entity]

    def fields(self, entity: str) -> list[str]:
        """The canonical fields the subject's system holds."""
        claimed = self.claims[entity].fields
        return list(claimed) if claimed is not None else list(self.support(entity).fields)

    def has(self, entity: str, *fields: str) -> bool:
        """Whether the system holds every one of ``fields``."""
        held = set(self.fields(entity))
        return all(f in held for f in fields)

    def edits(self, entity: str) -> list[str]:
        """The text fields the checks may edit on the subject's system, most telling first."""
        return [f for f in KINDS[entity].edits if self.has(entity, f)]

    def reads(self, entity: str) -> bool:
        """Whether the connector reads ``entity`` (changes made on its system can flow)."""
        return entity in self.info.entities and self.support(entity).read

    def writes(self, entity: str) -> bool:
        """Whether the connector creates and updates ``entity`` (changes can flow to it)."""
        support = self.support(entity)
        return support.create and support.update

    def match_keys(self, entity: str) -> list[str]:
        """The match keys the subject supports."""
        claimed = self.claims[entity].match_keys
        return list(claimed) if claimed is not None else list(self.support(entity).match_keys)


def resolve(subject: Subject) -> Target:
    """Complete a declaration from ``describe_connector``.

    Raises:
        PluginError: the connector is not installed or does not describe itself.
    """
    info = hooks_for(subject).describe(subject.connector)
    declared = subject.entities
    if declared is None:
        declared = {name: Claims() for name in info.entities}
    claims = {e: c for e, c in declared.items() if e in info.entities and e in KINDS}
    roles: tuple[Role, ...] = subject.roles or (
        ("pos", "platform") if info.side == "any" else (info.side,)
    )
    rules = frozenset(subject.rules if subject.rules is not None else info.rules) | GENERAL
    return Target(subject, info, claims, roles, rules)
