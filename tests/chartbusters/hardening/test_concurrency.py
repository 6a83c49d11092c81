"""Concurrency: parallel requests against the quota, parallel workers against the board.

Run against PostgreSQL in CI (``.ci/run`` sets DATABASE_URL), where requests really run
side by side; on SQLite the same tests check that writes queue up correctly.
"""

from __future__ import annotations

import threading
from io import BytesIO
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.leaderboards.models import LeaderboardEntry
from chartbusters.submissions.models import Submission
from chartbusters.submissions.pipeline import Claim, submission_claim
from chartbusters.submissions.states import TERMINAL_STATES, SubmissionState
from chartbusters.submissions.tasks import score_submission
from tests.chartbusters.builders import enter, make_challenge, piece
from tests.chartbusters.conftest import make_user
from tests.worker import celery_worker, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_parallel_uploads_against_a_daily_quota_of_five_accept_exactly_five(
    alice: User,
) -> None:
    challenge = make_challenge(daily_quota=5, total_quota=100)
    uploads = 20
    start = threading.Barrier(uploads)
    answers: list[tuple[int, str]] = []

    def submit(seed: int) -> None:
        client = APIClient()
        client.force_authenticate(alice)
        handle = BytesIO(piece(seed))
        handle.name = f"entry-{seed}.mid"
        try:
            start.wait(timeout=30)
            response = client.post(
                f"/api/challenges/{challenge.slug}/submissions/",
                {"title": f"Entry {seed}", "technique": "upload", "file": handle},
                format="multipart",
            )
            answers.append((response.status_code, response.json().get("code", "")))
        finally:
            connection.close()  # each thread has its own connection; leave none open

    threads = [threading.Thread(target=submit, args=(seed,)) for seed in range(uploads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(answers) == [(201, "")] * 5 + [(429, "daily_quota_exceeded")] * 15
    assert Submission.objects.filter(participant=alice).count() == 5


def test_an_entry_delivered_to_four_workers_at_once_is_claimed_by_one(alice: User) -> None:
    entry = enter(alice, make_challenge())
    workers = 4
    start = threading.Barrier(workers)
    claims: list[Claim | None] = []

    def claim() -> None:
        try:
            start.wait(timeout=30)
            claims.append(submission_claim(submission_id=entry.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    taken = [found for found in claims if found is not None]
    assert len(claims) == workers
    assert len(taken) == 1
    entry.refresh_from_db()
    assert (entry.state, entry.attempts) == (SubmissionState.EVALUATING, taken[0].attempt)
    assert (taken[0].challenge_id, taken[0].participant_id) == (entry.challenge_id, alice.pk)


def best_first(entry: Submission) -> tuple[float, object, int]:
    """The documented order: higher score first, then the earlier entry."""
    assert entry.score is not None
    return (-entry.score, entry.created_at, entry.pk)


@pytest.mark.worker
@pytest.mark.slow
def test_parallel_workers_scoring_many_participants_leave_ranks_that_follow_the_scores(
    real_judge: Path,
) -> None:
    challenge = make_challenge(daily_quota=5, total_quota=5)
    people = [make_user(f"player{i}") for i in range(8)]
    with celery_worker(
        queues="evaluation,celery", concurrency=2, EVALUATION_PROFILES_DIR=str(real_judge)
    ):
        entries = []
        for i, person in enumerate(people):
            for second in range(1 + i % 2):
                entry = enter(person, challenge, seed=100 + 10 * i + second)
                score_submission.delay(entry.pk)  # every message is delivered twice
                entries.append(entry)

        def all_settled() -> bool:
            pending = Submission.objects.filter(challenge=challenge).exclude(
                state__in=TERMINAL_STATES
            )
            return not pending.exists()

        assert wait_until(all_settled, timeout=180)
    scored = list(Submission.objects.filter(challenge=challenge))
    assert {e.state for e in scored} == {SubmissionState.SCORED}
    assert {e.attempts for e in scored} == {1}  # nothing was lost and re-queued
    best: dict[int, Submission] = {}
    for entry in sorted((e for e in scored if e.ranked), key=best_first):
        best.setdefault(entry.participant_id, entry)
    expected = sorted(best.values(), key=best_first)
    board = LeaderboardEntry.objects.filter(challenge=challenge).order_by("rank")
    assert [(row.rank, row.participant_id, row.submission_id, row.score) for row in board] == [
        (rank, e.participant_id, e.pk, e.score) for rank, e in enumerate(expected, start=1)
    ]
    assert len(expected) >= len(people) - 1  # the pieces are unrelated, not copies
