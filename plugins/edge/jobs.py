"""EDT JobList records -> canonical service jobs (CB-8; ``docs/edge-exchange.md``, JobList)."""

from __future__ import annotations

from typing import Any

from framework import ServiceJob
from plugins.edge.edt import parse_day, text
from plugins.edge.kinds import FileKind
from plugins.edge.settings import EdgeSettings


def to_job(value: dict[str, Any], settings: EdgeSettings) -> ServiceJob:
    """The canonical service job of a JobList PairValue.

    Raises:
        ValueError: the job type is not Repair, Custom or Appraisal, or a date is malformed.
    """
    return ServiceJob(
        customer=str(value.get("JobCustKey") or ""),
        job_no=str(value.get("JobNo") or ""),
        kind=str(value.get("JobType") or "").lower(),
        status=str(value.get("JobStatus") or ""),
        summary=text(value.get("JobSummary")),
        description=text(value.get("JobDesc")),
        date_entered=parse_day(value.get("JobDateEntered")),
    )


JOBS = FileKind(
    fields=("customer", "job_no", "kind", "status", "summary", "description", "date_entered"),
    entity="service_job",
    kind="JobList",
    wrapper="Jobs",
    key_field="JobKey",
    read=to_job,
)
