"""The fleet's queue on Procrastinate: jobs in the fleet's PostgreSQL schema, no broker.

This is the one module that imports Procrastinate (``queue.py`` says what the fleet needs).

- a run of ``store/pair`` is a job with ``lock`` = ``queueing_lock`` = the pair's key:
  one pair never runs twice at once across all workers, and at most one run of it waits;
- a periodic task (every ``tick_seconds``) enqueues due pairs (:meth:`Fleet.tick`) and
  retries the jobs of workers whose heartbeat lapsed (``stalled_seconds``): a worker killed
  mid-run has its job run again elsewhere, which takes the dead run's pair lease over and
  replays its journal (``framework/engine/lease.py``);
- ``syncwright worker`` runs :meth:`ProcrastinateQueue.work`; add workers by starting more,
  on this machine or others reaching the same database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import procrastinate
from procrastinate import exceptions as queue_errors
from procrastinate.types import TimeDeltaParams

from framework.fleet.config import FleetConfig
from framework.fleet.fleet import Fleet
from framework.fleet.queue import pair_key

log = logging.getLogger("syncwright.fleet")

RUN_TASK = "syncwright.run_pair"
# A job deferred for later (a webhook's debounce) is found by polling, not by a notify: so
# often (Procrastinate's default, 5 s, would add up to that to a webhook's latency).
FETCH_SECONDS = 1.0
TICK_TASK = "syncwright.tick"


def _cron(seconds: float) -> str:
    """A cron line (with a seconds column) firing every ``seconds`` (1 to 59)."""
    step = max(1, min(59, round(seconds)))
    return f"* * * * * */{step}"


def connector(url: str, schema: str) -> procrastinate.PsycopgConnector:
    """Procrastinate's connector to the fleet's schema."""
    return procrastinate.PsycopgConnector(
        conninfo=url,
        kwargs={"options": f"-c search_path={schema} -c timezone=UTC"},
        min_size=1,
        max_size=4,
    )


def upgrade_queue(url: str, schema: str) -> bool:
    """Create Procrastinate's tables in the fleet's schema if absent; whether it did."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass(%s)", (f"{schema}.procrastinate_jobs",)).fetchone()
        if row and row[0]:
            return False
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    app = procrastinate.App(connector=connector(url, schema))
    with app.open():
        app.schema_manager.apply_schema()
    return True


class ProcrastinateQueue:
    """Pair runs as Procrastinate jobs (see the module docstring)."""

    def __init__(self, config: FleetConfig, fleet: Fleet | None = None):
        self.config = config
        self.fleet = fleet or Fleet(config, self)
        self.fleet.queue = self
        self.app = procrastinate.App(connector=connector(config.url, config.state.schema_name))
        worker = config.worker
        self._run = self.app.task(name=RUN_TASK, queue=worker.queue)(self._run_job)
        tick = self.app.task(name=TICK_TASK, queue=worker.queue, queueing_lock=TICK_TASK)(
            self._tick_job
        )
        self.app.periodic(cron=_cron(worker.tick_seconds))(tick)
        self._opened = False

    # -- what jobs do -------------------------------------------------------------------------

    def _run_job(
        self,
        store: str,
        pair: str,
        due_at: float,
        records: list[str] | None,
        webhook: bool = False,  # jobs queued before webhooks were enqueued have none
    ) -> str:
        if webhook:
            log.info("%s/%s: run for %d notified record(s)", store, pair, len(records or []))
        return self.fleet.run(store, pair, due_at, webhook=webhook)

    async def _tick_job(self, timestamp: int) -> int:
        stalled = await self.app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=self.config.worker.stalled_seconds
        )
        for job in stalled:
            log.warning("job %s (%s) lost its worker; run again", job.id, job.lock)
            await self.app.job_manager.retry_job(job)
        due = await asyncio.to_thread(self.fleet.due)
        queued: list[bool] = []
        for store, pair, due_at in due:
            key = pair_key(store, pair)
            try:
                await self._run.configure(lock=key, queueing_lock=key).defer_async(
                    store=store, pair=pair, due_at=due_at, records=None, webhook=False
                )
                queued.append(True)
            except queue_errors.AlreadyEnqueued:
                queued.append(False)  # one waits already: tried again soon (Fleet.queued)
        await asyncio.to_thread(self.fleet.queued, due, queued)
        return sum(queued)

    # -- RunQueue -----------------------------------------------------------------------------

    def enqueue(
        self,
        store: str,
        pair: str,
        due_at: float,
        records: list[str] | None = None,
        *,
        after: float = 0.0,
    ) -> bool:
        """Queue a run of ``store``'s ``pair``; ``False`` when one already waits.

        With ``records`` (a list, maybe empty: a webhook's), the job is a targeted run of
        the pair's kept notifications; without, a due (poll) run. ``after``: the job
        waits that long (``schedule_in``; still holding the queueing lock meanwhile).
        """
        self._open()
        key = pair_key(store, pair)
        webhook = records is not None
        later: TimeDeltaParams | None = {"milliseconds": round(after * 1000)} if after > 0 else None
        try:
            self._run.configure(lock=key, queueing_lock=key, schedule_in=later).defer(
                store=store,
                pair=pair,
                due_at=due_at,
                records=list(records) if records is not None else None,
                webhook=webhook,
            )
        except queue_errors.AlreadyEnqueued:
            return False
        return True

    def work(self, name: str) -> None:
        """Run a worker until SIGTERM or Ctrl-C (Procrastinate's own signal handling)."""
        worker = self.config.worker
        options: dict[str, Any] = {
            "queues": [worker.queue],
            "name": name,
            "concurrency": worker.concurrency,
            "update_heartbeat_interval": worker.heartbeat_seconds,
            "fetch_job_polling_interval": FETCH_SECONDS,
            "stalled_worker_timeout": worker.stalled_seconds,
            "delete_jobs": "successful",
            "wait": True,
        }
        log.info("worker %s started (queue %s)", name, worker.queue)
        self.close()
        self.app.run_worker(**options)

    def _open(self) -> None:
        if not self._opened:
            self.app.open()
            self._opened = True

    def close(self) -> None:
        """Close the queue's own connections (a worker opens its own)."""
        if self._opened:
            self.app.close()
            self._opened = False


def wait_idle(queue: ProcrastinateQueue, timeout: float) -> bool:
    """Wait until no job is waiting or running (tests); whether it got there in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = queue.app.job_manager.list_jobs(queue=queue.config.worker.queue)
        if not [j for j in jobs if j.status in ("todo", "doing")]:
            return True
        time.sleep(0.2)
    return False
