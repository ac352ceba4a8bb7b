"""Finding a staged record's link, merges made inside a system, and broken links (IS-4).

A link is found by the record's id, else by its shared code (a record the engine created
shows up under the id its system assigned). A record a system made by merging others
takes over their link (G-3). A link whose shared code changed on one side only is broken
(IS-4): its problem stays open while it is broken, counting every change it holds back,
and it is mended, automatically, when the codes agree again.
"""

from __future__ import annotations

from typing import Any

from framework.engine.context import label
from framework.engine.flows import Side, other
from framework.engine.problems import merge_hint
from framework.engine.report import Move
from framework.engine.scope import SIDES, Changes, EntityScope
from framework.state.store import InboxEntry, Link, StoredRecord

BROKEN_LINK = "held_back"
"""The key a broken link's problem carries in its payload: the changes it held back."""


def broken_link_problem(payload: dict[str, Any] | None) -> bool:
    """Whether a problem is a broken link's report (whatever rule the pair files it under)."""
    return BROKEN_LINK in (payload or {})


class Links:
    """The link side of reconciling: find, take over, break and mend links."""

    def __init__(self, scope: EntityScope):
        self.s = scope

    @property
    def rule(self) -> str:
        """The rule a broken link is filed under: the pair's own (IS-4 in F/K-IdoSell)."""
        return self.s.flow.link_rule or self.s.flow.match_rule

    def find(self, side: Side, change: dict[str, Any]) -> Link | None:
        """The link of a staged record: by id, else by its shared code (a pending create)."""
        s = self.s
        link = s.own_link(side, change["id"])
        key = change.get("link_key")
        if link is not None or not key:
            return link
        link = s.store.link_by_key(s.pair, s.entity, key)
        if link is not None and link.pending_on(side):
            # The system assigned the id of a record we created earlier (Edge import, 202).
            s.ctx.links_changed()
            s.store.rename_record(s.pair, s.entity, side, link.id_on(side), change["id"])
            return s.store.link(link.id)
        return None

    def superseding(
        self, side: Side, change: dict[str, Any], entries: list[InboxEntry]
    ) -> Link | None:
        """A record the system made by merging others takes over their link (no duplicate).

        The first live link among the superseded ids moves to the new id; any other link
        of theirs is marked ``superseded`` and reported (its counterpart on the other side
        is a duplicate there now), never silently dropped.
        """
        s = self.s
        old_ids = list(dict.fromkeys(i for e in entries for i in e.change.get("supersedes") or []))
        links = [
            found
            for i in old_ids
            if i != change["id"] and (found := s.link_of(side, i)) is not None
        ]
        if not links:
            return None
        keep = next((lnk for lnk in links if lnk.status == "ok"), links[0])
        s.ctx.links_changed()  # other records' links: moved, or superseded below
        s.store.rename_record(s.pair, s.entity, side, keep.id_on(side), change["id"])
        link = s.store.link(keep.id)
        if link.status == f"deleted_on_{side}":  # that delete was the merge's: undo the unlink
            link.status = "ok"
            s.store.save_link(link)
        there = other(side)
        s.ctx.moved(
            Move(
                s.entity,
                label(link.pos_id, link.platform_id),
                "both",
                "relink",
                (),
                (s.flow.match_rule,),
            ),
            link,
        )
        for dropped in links:
            if dropped.id == keep.id:
                continue
            dropped.status = "superseded"
            s.store.save_link(dropped)
            reason = (
                f"{s.system(side)} merged {', '.join(old_ids)} into {change['id']}; "
                f"{s.entity} {dropped.id_on(there)} on {s.system(there)} was "
                f"linked to {dropped.id_on(side)} and is no longer synced: it duplicates "
                f"{link.id_on(there)} there ("
                + merge_hint(s.pair, s.entity, there, link.id_on(there), dropped.id_on(there))
                + ")"
            )
            s.ctx.quarantine(s.entity, there, dropped.id_on(there), "G-7", reason, None)
        return link

    # -- IS-4 -------------------------------------------------------------------------------

    def broken(self, link: Link, changes: Changes) -> bool:
        """IS-4: the shared code changed on one side only -> the link is broken, reported."""
        s = self.s
        for side, change in changes.items():
            key = change.get("link_key")
            if not key or link.link_key is None or key == link.link_key:
                continue
            other_now = changes.get(other(side)) or self._stored(other(side), link)
            other_key = other_now.get("link_key") if other_now else None
            if other_key == key:
                link.link_key = key  # changed on both sides alike: still one customer
                s.store.save_link(link)
                continue
            link.status = "broken"
            s.store.save_link(link)
            self._report(link, side, key, change, held=0)
            self._keep_latest(link, changes)
            s.count("broken_link")
            return True
        return False

    def held_back(self, link: Link, changes: Changes) -> None:
        """IS-4: changes reaching a broken link are held back, and counted on its problem.

        The problem stays open while the link is broken: if it was closed (a retry that
        could not succeed), it is opened again at once; it counts every change held back.
        """
        s = self.s
        side, key = self._changed_side(link, changes)
        open_ = [
            p
            for sd in SIDES
            for p in s.store.problems_of(s.pair, s.entity, sd, link.id_on(sd))
            if broken_link_problem(p.payload)
        ]
        held = sum(int((p.payload or {}).get("held_back", 0)) for p in open_)
        kept = next((p.payload for p in open_ if p.payload and p.payload.get("id")), None)
        change = changes.get(side) or kept or next(iter(changes.values()))
        news = self._keep_latest(link, changes)  # a re-read of what is known holds nothing
        if not news and any(p.reason == self._reason(link, side, key) for p in open_):
            return
        reason = self._report(link, side, key, change, held + news)
        for problem in open_:  # one report per broken link: the code changed again since
            if problem.reason != reason:
                s.ctx.resolve(problem)
        if news:
            s.count("held_broken_link", news)

    def _keep_latest(self, link: Link, changes: Changes) -> int:
        """Keep what each side holds now (its code too), for the merge once mended.

        Returns how many of ``changes`` told something new (changes held back).
        """
        s = self.s
        news = 0
        for side, change in changes.items():
            rec = s.record(side, change["id"]) or StoredRecord(
                side, change["id"], None, link_id=link.id
            )
            if (change["record"], change.get("link_key")) != (rec.now, rec.link_key):
                news += 1
            rec.latest = change["record"]
            rec.link_key = change.get("link_key") or rec.link_key
            s.store.put_record(s.pair, s.entity, rec)
            s.store.set_held(s.pair, s.entity, side, change["id"], "broken_link")
        return news

    def _changed_side(self, link: Link, changes: Changes) -> tuple[Side, str | None]:
        """The side whose shared code no longer is the link's, and that code."""
        for side in SIDES:
            now = changes.get(side) or self._stored(side, link)
            key = now.get("link_key") if now else None
            if key != link.link_key:
                return side, key
        return "pos", link.link_key

    def _report(
        self, link: Link, side: Side, key: str | None, change: dict[str, Any], held: int
    ) -> str:
        s = self.s
        reason = self._reason(link, side, key)
        payload = {k: v for k, v in change.items() if k != "held_back"}
        payload[BROKEN_LINK] = held
        s.ctx.quarantine(s.entity, side, link.id_on(side), self.rule, reason, payload)
        return reason

    def _reason(self, link: Link, side: Side, key: str | None) -> str:
        return (
            f"link broken: the shared code of {link.pos_id} / {link.platform_id} changed "
            f"on {self.s.system(side)} from {link.link_key!r} to {key!r}; "
            "this record is no longer updated until the codes agree again"
        )

    def mended(self, link: Link, changes: Changes) -> bool:
        """IS-4: a broken link whose sides share one code again is a link again."""
        s = self.s
        if link.status != "broken":
            return False
        keys = set()
        for side in SIDES:
            now = changes.get(side) or self._stored(side, link)
            keys.add(now.get("link_key") if now else None)
        if len(keys) != 1 or None in keys:
            return False
        link.status, link.link_key = "ok", keys.pop()
        s.store.save_link(link)
        for side in SIDES:
            s.ctx.superseded(s.entity, side, link.id_on(side))
            s.store.set_held(s.pair, s.entity, side, link.id_on(side), None)
        s.ctx.moved(
            Move(
                s.entity, label(link.pos_id, link.platform_id), "both", "relink", (), (self.rule,)
            ),
            link,
        )
        return True

    def _stored(self, side: Side, link: Link) -> dict[str, Any] | None:
        rec = self.s.record(side, link.id_on(side))
        return {"link_key": rec.link_key} if rec else None
