"""Celery tasks of judge builds (queue "training"). They take ids and re-fetch."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from chartbusters.references.builds import (
    BUILD_TASK,
    REAP_TASK,
    judge_build_claim,
    judge_build_run,
    judge_builds_reap,
)

# One build holds its worker for minutes to hours: its own limits, far above the
# default ones a scoring task runs under.
_HARD_LIMIT = settings.JUDGE_BUILD_TIME_LIMIT


@shared_task(
    name=BUILD_TASK, acks_late=True, soft_time_limit=_HARD_LIMIT - 60, time_limit=_HARD_LIMIT
)
def build_judge(build_id: int) -> str:
    """Build one judge version. Idempotent: a repeated delivery finds nothing to claim."""
    build = judge_build_claim(build_id=build_id)
    if build is None:
        return "nothing to do"
    return judge_build_run(build=build).state


@shared_task(name=REAP_TASK)
def reap_stuck_builds() -> int:
    """Fail builds whose worker died (beat; queue "celery", so a stuck training pool
    cannot stop its own reaper)."""
    return judge_builds_reap()
