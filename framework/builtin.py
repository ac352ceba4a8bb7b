"""Built-in fallback plugins, registered ``trylast`` so any connector's answer comes first."""

from __future__ import annotations

from framework.markers import hookimpl
from framework.models import AssociateMapping, MatchQuery, MatchResult, SystemContext


class IndexMatcher:
    """G-3 fallback: answer ``match_record`` with the engine's own index candidates."""

    @hookimpl(trylast=True)
    def match_record(self, system: SystemContext, query: MatchQuery) -> MatchResult:
        """Return the candidates the engine's index found (none, one, or ambiguous)."""
        return MatchResult(ids=list(query.candidates), source="index")


class DefaultAssociate:
    """G-8 fallback: a platform user without a mapping is recorded as the default associate."""

    @hookimpl(trylast=True)
    def map_associate(
        self, system: SystemContext, user_id: str | None, default_associate: str | None
    ) -> AssociateMapping | None:
        """Return the configured default; ``None`` when none is configured (never invented)."""
        if default_associate is None:
            return None
        return AssociateMapping(pos_associate=default_associate, source="default")
