"""A build whose training worker died is failed by the reaper, with the reason; a build
that runs beats for itself between stages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.core.queues import queue_of
from chartbusters.references.builds import (
    REAP_TASK,
    heartbeat,
    judge_build_claim,
    judge_build_start,
    judge_builds_reap,
)
from chartbusters.references.models import BuildState, JudgeBuild
from chartbusters.references.services import reference_set_add_files
from tests.chartbusters.builders import piece
from tests.chartbusters.references.helpers import make_set
from tests.worker import wait_until


def running_build(host: User, slug: str) -> JudgeBuild:
    reference_set = make_set(host, slug)
    reference_set_add_files(reference_set=reference_set, files=[("a.mid", piece(1))])
    build = judge_build_start(reference_set=reference_set, by=host)
    claimed = judge_build_claim(build_id=build.pk)
    assert claimed is not None
    return claimed


@pytest.mark.django_db
def test_a_build_whose_worker_stopped_beating_is_failed_with_the_reason(host: User) -> None:
    dead, alive = running_build(host, "dead"), running_build(host, "alive")
    JudgeBuild.objects.filter(pk=dead.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=6), stage="critic ensemble"
    )
    assert judge_builds_reap() == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.state == BuildState.FAILED
    assert dead.error.startswith("The training worker stopped answering during “critic ensemble”")
    assert alive.state == BuildState.RUNNING
    assert judge_builds_reap() == 0  # terminal states stay terminal


def test_the_reaper_runs_off_the_training_queue_every_minute() -> None:
    assert queue_of(REAP_TASK) == "celery"
    schedule = settings.CELERY_BEAT_SCHEDULE["reap-stuck-judge-builds"]
    assert schedule == {"task": REAP_TASK, "schedule": 60.0}


@pytest.mark.django_db(transaction=True)
def test_a_running_build_beats_while_a_long_stage_runs(host: User) -> None:
    build = running_build(host, "carols")
    before = build.heartbeat_at
    with heartbeat(build.pk, every=0.05):
        assert wait_until(
            lambda: JudgeBuild.objects.get(pk=build.pk).heartbeat_at != before, timeout=10
        )
