"""The real Celery app for ``bench_backlog``, with an artificially slow, fixed judge.

The backlog bench measures the queue, not the judge: every entry takes
``BENCH_JUDGE_SECONDS`` to "judge" and gets the same report, and each delivery of a
scoring message is counted in Redis (``BENCH_DELIVERIES_KEY``), so duplicates show.
Everything else (claim, lease, report, board, reaper) is the real pipeline.
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis
from celery.signals import task_prerun, worker_process_init

from chartbusters.celery import app

__all__ = ["app"]
SCORING_TASK = "chartbusters.submissions.tasks.score_submission"


@worker_process_init.connect
def _install_slow_judge(**_: Any) -> None:
    from chartbusters.evaluator import scoring
    from chartbusters.submissions import tasks

    seconds = float(os.environ.get("BENCH_JUDGE_SECONDS", "0.05"))

    def slow_judge(submission: Any) -> scoring.EntryReport:
        time.sleep(seconds)
        return scoring.EntryReport(
            score=50.0,
            components={"realism": 0.5},
            weights={"realism": 1.0},
            flags=[],
            explanation="bench",
            evaluator_version="bench",
            profile="bench",
            details={},
            ranked=True,
        )

    tasks.judge = slow_judge


@task_prerun.connect
def _count_delivery(sender: Any = None, args: Any = None, **_: Any) -> None:
    if getattr(sender, "name", "") != SCORING_TASK:
        return
    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    client.hincrby(os.environ["BENCH_DELIVERIES_KEY"], str(args[0]), 1)
