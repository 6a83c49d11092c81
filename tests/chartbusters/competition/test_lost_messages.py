"""Leases that tell waiting from failing, on the configured broker (Redis) and database.

A backlog never fails an entry and never gets a second copy of a message that is still
queued; a message that is known lost (its publish failed, or the broker dropped it) is
published again, for scoring and for the listening copy, without anyone's help.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.celery import app as celery_app
from chartbusters.challenges.models import Challenge
from chartbusters.submissions.audio import AUDIO_QUEUE, submissions_audio_reap
from chartbusters.submissions.models import AudioState, Submission
from chartbusters.submissions.pipeline import (
    ReapResult,
    submission_claim,
    submission_record_report,
    submissions_reap,
)
from chartbusters.submissions.states import SubmissionState
from chartbusters.submissions.tasks import score_submission
from tests.chartbusters.builders import enter, report
from tests.chartbusters.faults import broker_down

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("empty_queues"),
    pytest.mark.skipif(
        not str(celery_app.conf.broker_url).startswith("redis://"),
        reason="reads the messages in the broker's queue: a Redis list",
    ),
]
S = SubmissionState
SCORING_QUEUE = "evaluation"
NOTHING = ReapResult([], [], [])


def redis_client() -> Any:
    return celery_app.connection_for_write().default_channel.client


def entry_ids_in(queue: str) -> list[int]:
    """The entry id of every message waiting in ``queue``, oldest first."""
    ids = []
    for raw in reversed(redis_client().lrange(queue, 0, -1)):  # pushed left, popped right
        args, _kwargs, _embed = json.loads(base64.b64decode(json.loads(raw)["body"]))
        ids.append(args[0])
    return ids


def backlog(user: User, challenge: Challenge, count: int, now: datetime) -> list[int]:
    """``count`` queued entries, stored and published as ``submission_create`` does
    (bulk, so that the test stays fast), their messages waiting in the broker."""
    lease = timedelta(seconds=900)
    Submission.objects.bulk_create(
        Submission(
            challenge=challenge,
            participant=user,
            title=f"Entry {n}",
            technique="upload",
            midi=f"submissions/{challenge.pk}/{n}.mid",
            state=S.QUEUED,
            attempts=1,
            lease_expires_at=now + lease,
            published_at=now,
            audio_state=AudioState.READY,
        )
        for n in range(count)
    )
    ids = list(Submission.objects.order_by("pk").values_list("pk", flat=True))
    with celery_app.producer_or_acquire() as producer:
        for submission_id in ids:
            score_submission.apply_async((submission_id,), producer=producer)
    return ids


def slow_worker_scores_the_next_entry(now: datetime) -> int:
    """What one worker does with the message at the head of the queue."""
    raw = redis_client().rpop(SCORING_QUEUE)
    args, _kwargs, _embed = json.loads(base64.b64decode(json.loads(raw)["body"]))
    claim = submission_claim(submission_id=args[0], now=now)
    assert claim is not None
    assert submission_record_report(claim=claim, report=report(50.0), now=now) is not None
    return int(args[0])


def test_two_thousand_entries_behind_one_slow_worker_are_never_failed_nor_duplicated(
    alice: User, challenge: Challenge, django_capture_on_commit_callbacks: Any
) -> None:
    start = timezone.now()
    ids = backlog(alice, challenge, 2000, start)
    scored = []
    for hour in range(1, 7):  # six hours of reaper passes: many queue leases, each
        now = start + timedelta(hours=hour)
        with django_capture_on_commit_callbacks(execute=True):
            assert submissions_reap(now=now) == NOTHING
        scored.append(slow_worker_scores_the_next_entry(now))
    assert not Submission.objects.filter(state=S.FAILED).exists()
    assert set(Submission.objects.values_list("attempts", flat=True)) == {1}
    waiting = entry_ids_in(SCORING_QUEUE)
    assert waiting == [pk for pk in ids if pk not in scored]  # each once, in order
    assert Submission.objects.filter(state=S.QUEUED).count() == len(waiting) == 1994


def test_a_message_the_broker_lost_is_published_once_when_the_queue_is_empty(
    alice: User, challenge: Challenge, django_capture_on_commit_callbacks: Any
) -> None:
    entry = enter(alice, challenge)  # its message never reached the queue (lost)
    within_lease = timezone.now() + timedelta(seconds=60)
    assert submissions_reap(now=within_lease) == NOTHING  # it may still be on its way
    later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert submissions_reap(now=later) == ReapResult([], [], [entry.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert submissions_reap(now=later + timedelta(hours=1)) == NOTHING  # queued now
    assert entry_ids_in(SCORING_QUEUE) == [entry.pk]
    entry.refresh_from_db()
    assert (entry.state, entry.attempts) == (S.QUEUED, 1)


def test_an_entry_stored_while_the_broker_was_down_is_published_at_the_next_pass(
    alice: User, challenge: Challenge, django_capture_on_commit_callbacks: Any
) -> None:
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        entry = enter(alice, challenge)
    entry.refresh_from_db()
    assert (entry.published_at, entry.audio_queued_at) == (None, None)
    with django_capture_on_commit_callbacks(execute=True):
        assert submissions_reap() == ReapResult([], [], [entry.pk])  # not a lease later
        assert submissions_audio_reap() == ([entry.pk], [])
    assert entry_ids_in(SCORING_QUEUE) == [entry.pk]
    assert entry_ids_in(AUDIO_QUEUE) == [entry.pk]
    entry.refresh_from_db()
    assert (entry.attempts, entry.audio_attempts) == (1, 1)  # the broker's fault, not a try


def test_a_render_that_never_landed_is_queued_again_then_given_up_after_the_cap(
    alice: User, challenge: Challenge, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.AUDIO_MAX_ATTEMPTS = 2
    entry = enter(alice, challenge)  # its render message was taken and came to nothing
    lease = timedelta(seconds=settings.AUDIO_RENDER_LEASE_SECONDS + 1)
    assert submissions_audio_reap(now=timezone.now()) == ([], [])  # within its lease
    with django_capture_on_commit_callbacks(execute=True):
        assert submissions_audio_reap(now=timezone.now() + lease) == ([entry.pk], [])
    assert submissions_audio_reap(now=timezone.now() + 2 * lease) == ([], [])  # queued
    redis_client().delete(AUDIO_QUEUE)  # that render came to nothing too
    assert submissions_audio_reap(now=timezone.now() + 3 * lease) == ([], [entry.pk])
    entry.refresh_from_db()
    assert (entry.audio_state, entry.audio_attempts) == (AudioState.FAILED, 2)
