"""Leases: one run of a pair at a time, across every worker (``framework/engine/lease.py``).

Taking a lease is one transaction holding an advisory lock on the tenant's pair, and reading
the lease row ``FOR UPDATE`` (so a heartbeat committing meanwhile is seen): two claimants
never both win, on one host or many.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from framework.state.postgres.connection import Connected
from framework.state.store import Lease

_COLUMNS = "pair, holder, pid, host, started_at, heartbeat_at, ttl, run_id"


class Leases(Connected):
    """Pair leases of the store's tenant."""

    def lease(self, pair: str) -> Lease | None:
        """The pair's lease as stored (live or lapsed), if any."""
        row = self._one(
            f"SELECT {_COLUMNS} FROM leases WHERE tenant=%s AND pair=%s", self.tenant, pair
        )
        return Lease(*row) if row else None

    def claim_lease(
        self, lease: Lease, lapsed: Callable[[Lease], bool]
    ) -> tuple[bool, Lease | None]:
        """Take a pair's lease unless a live holder has it: one winner, always."""
        with self.transaction():
            self._exec(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                f"lease/{self.schema}/{self.tenant}/{lease.pair}",
            )
            row = self._one(
                f"SELECT {_COLUMNS} FROM leases WHERE tenant=%s AND pair=%s FOR UPDATE",
                self.tenant,
                lease.pair,
            )
            current = Lease(*row) if row else None
            if current is not None and current.holder != lease.holder and not lapsed(current):
                return False, current
            now = time.time()
            self._exec(
                "INSERT INTO leases (tenant, pair, holder, pid, host, started_at, heartbeat_at, "
                "ttl, run_id) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,NULL) "
                "ON CONFLICT (tenant, pair) DO UPDATE SET holder=excluded.holder, "
                "pid=excluded.pid, host=excluded.host, started_at=excluded.started_at, "
                "heartbeat_at=excluded.heartbeat_at, ttl=excluded.ttl, run_id=NULL",
                self.tenant,
                lease.pair,
                lease.holder,
                lease.pid,
                lease.host,
                now,
                now,
                lease.ttl,
            )
            lease.started_at = lease.heartbeat_at = now
            gone = current if current is not None and current.holder != lease.holder else None
            if gone is not None and gone.run_id is not None:
                self._exec(
                    "UPDATE runs SET status='interrupted', finished_at=now(), error=%s "
                    "WHERE tenant=%s AND id=%s AND status='running'",
                    f"its process ({gone.pid}@{gone.host}) stopped; "
                    "the next run took over and replayed its journal",
                    self.tenant,
                    gone.run_id,
                )
            return True, gone

    def beat_lease(self, pair: str, holder: str, run_id: int | None = None) -> bool:
        """Refresh the heartbeat (and the run) of a lease; ``False`` when it is not ours now."""
        if run_id is None:
            cur = self._exec(
                "UPDATE leases SET heartbeat_at=%s WHERE tenant=%s AND pair=%s AND holder=%s",
                time.time(),
                self.tenant,
                pair,
                holder,
            )
        else:
            cur = self._exec(
                "UPDATE leases SET heartbeat_at=%s, run_id=%s WHERE tenant=%s AND pair=%s "
                "AND holder=%s",
                time.time(),
                run_id,
                self.tenant,
                pair,
                holder,
            )
        return cur.rowcount == 1

    def release_lease(self, pair: str, holder: str) -> None:
        """Give a lease up (only when ``holder`` still holds it)."""
        self._exec(
            "DELETE FROM leases WHERE tenant=%s AND pair=%s AND holder=%s",
            self.tenant,
            pair,
            holder,
        )
