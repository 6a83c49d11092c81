"""Faults, with a real worker, the configured broker and the configured database.

Each test breaks one thing a production deployment loses sooner or later (a worker, the
broker, the database connection) and checks that the participant's entry still ends with
exactly one result. The workers run the real judge; ``worker_app`` only holds it at the
moment the fault strikes.
"""

from __future__ import annotations

import os
import signal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.leaderboards.models import LeaderboardEntry
from chartbusters.submissions.models import AudioState, Submission
from chartbusters.submissions.states import TERMINAL_STATES, SubmissionState
from tests.chartbusters.builders import enter, piece
from tests.chartbusters.faults import HOOKED_APP, broker_down
from tests.worker import celery_worker, wait_until, with_reaper

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.slow]

S = SubmissionState


def state(entry: Submission) -> str:
    entry.refresh_from_db()
    return entry.state


def settled(entry: Submission) -> bool:
    return state(entry) in TERMINAL_STATES


def audio_settled(entry: Submission) -> bool:
    entry.refresh_from_db()
    return entry.audio_state != AudioState.PENDING


def assert_scored_once(entry: Submission, attempts: int) -> None:
    entry.refresh_from_db()
    assert entry.state == S.SCORED, entry.failure_reason
    assert entry.attempts == attempts
    assert entry.score is not None
    assert entry.evaluator_version
    rows = LeaderboardEntry.objects.filter(challenge=entry.challenge_id)
    assert [(row.participant_id, row.submission_id) for row in rows] == [
        (entry.participant_id, entry.pk)
    ]


def test_an_entry_whose_worker_was_killed_mid_evaluation_is_scored_after_its_lease(
    alice: User, challenge: Challenge, real_judge: Path, tmp_path: Path
) -> None:
    with celery_worker(
        queues="evaluation",
        app=HOOKED_APP,
        HARDENING_JUDGE_HOLD="forever",
        HARDENING_EVALUATION_LEASE_SECONDS="2",
        EVALUATION_PROFILES_DIR=str(real_judge),
    ) as doomed:
        entry = enter(alice, challenge)
        assert wait_until(lambda: state(entry) == S.EVALUATING, timeout=90)
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=30)
    assert state(entry) == S.EVALUATING  # nobody is left to finish or release it
    with celery_worker(
        queues="evaluation,celery,audio",
        EVALUATION_PROFILES_DIR=str(real_judge),
        **with_reaper(tmp_path),
    ):
        assert wait_until(lambda: settled(entry), timeout=120)
    assert_scored_once(entry, attempts=2)


def test_an_entry_submitted_while_the_broker_is_down_is_kept_and_scored_once_it_is_back(
    api: APIClient,
    alice: User,
    challenge: Challenge,
    real_judge: Path,
    tmp_path: Path,
) -> None:
    api.force_authenticate(alice)
    upload = BytesIO(piece(3))
    upload.name = "chorale.mid"
    with broker_down():
        response = api.post(
            f"/api/challenges/{challenge.slug}/submissions/",
            {"title": "While the broker was down", "technique": "upload", "file": upload},
            format="multipart",
        )
    assert response.status_code == 201, response.content
    entry = Submission.objects.get(uuid=response.json()["id"])
    assert entry.state == S.QUEUED
    # With the default queue lease (15 minutes): the reaper's next pass publishes what
    # could not be published, its score and its listening copy, without anyone's help.
    with celery_worker(
        queues="evaluation,celery,audio",
        EVALUATION_PROFILES_DIR=str(real_judge),
        **with_reaper(tmp_path),
    ):
        assert wait_until(lambda: settled(entry), timeout=120)
        assert wait_until(lambda: audio_settled(entry), timeout=120)
    assert_scored_once(entry, attempts=1)  # the broker's outage is not a failed attempt
    assert entry.audio_state == AudioState.READY


# libpq names the worker's connections with this, so the test drops those and no other.
WORKER_APPNAME = f"hardening-worker-{os.getpid()}"


def terminate_worker_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            [WORKER_APPNAME],
        )
        return len(cursor.fetchall())


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="dropping a live connection needs a database server (pg_terminate_backend); "
    "SQLite has no connection to drop",
)
def test_a_connection_dropped_during_evaluation_is_reopened_and_the_entry_scored_once(
    alice: User, challenge: Challenge, real_judge: Path, tmp_path: Path
) -> None:
    release = tmp_path / "release-the-judge"
    with celery_worker(
        queues="evaluation,celery,audio",
        app=HOOKED_APP,
        HARDENING_JUDGE_HOLD=str(release),
        EVALUATION_PROFILES_DIR=str(real_judge),
        PGAPPNAME=WORKER_APPNAME,
        **with_reaper(tmp_path),
    ):
        entry = enter(alice, challenge)
        assert wait_until(Path(f"{release}.waiting").exists, timeout=90)  # judged, not written
        assert terminate_worker_connections() >= 1
        release.touch()
        assert wait_until(lambda: settled(entry), timeout=60)
    assert_scored_once(entry, attempts=1)


def test_a_generator_killed_mid_run_leaves_a_failed_job_that_can_be_retried(
    alice: User, tmp_path: Path
) -> None:
    pytest.importorskip("chartbusters.studio.tasks")
    api = APIClient()
    api.force_authenticate(alice)
    source = api.post("/api/studio/compositions/", {"sample": "new-world"}, format="json")
    assert source.status_code == 201, source.json()
    job: dict[str, Any] = {}

    def job_in(*states: str) -> bool:
        job.update(api.get(f"/api/studio/jobs/{job['id']}/").json())
        return job["state"] in states

    with celery_worker(
        queues="generation",
        app=HOOKED_APP,
        HARDENING_GENERATOR_HOLD="forever",
        STUDIO_JOB_RUN_LEASE_SECONDS="2",
        OMP_NUM_THREADS="1",
    ) as doomed:
        created = api.post(
            "/api/studio/jobs/", {"input": source.json()["id"], "technique": "gan"}, format="json"
        )
        assert created.status_code == 202, created.json()
        job.update(created.json())
        assert wait_until(lambda: job_in("running"), timeout=90), job
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=30)
    with celery_worker(
        queues="generation,celery",
        OMP_NUM_THREADS="1",
        args=["--beat", f"--schedule={tmp_path / 'beat-schedule'}"],
        STUDIO_REAPER_INTERVAL_SECONDS="1",
    ):
        assert wait_until(lambda: job_in("failed", "done"), timeout=60), job
        assert job["state"] == "failed"
        assert "stopped before finishing" in job["message"]
        assert job["can_retry"] is True
        retried = api.post(f"/api/studio/jobs/{job['id']}/retry/")
        assert retried.status_code in (200, 202), retried.json()
        assert wait_until(lambda: job_in("done", "failed"), timeout=120), job
    assert job["state"] == "done", job["message"]
    assert job["attempts"] == 2
    assert job["result"]["kind"] == "generated"
