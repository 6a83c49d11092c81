"""Entries' audio rendered by a real worker (on the default queue), scoring untouched."""

from __future__ import annotations

import pytest

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.submissions.models import AudioState, Submission
from tests.chartbusters.competition.conftest import enter
from tests.worker import celery_worker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def audio_done(entry: Submission) -> bool:
    entry.refresh_from_db()
    return entry.audio_state != AudioState.PENDING


def test_a_worker_on_the_default_queue_renders_each_entrys_audio(
    alice: User, challenge: Challenge
) -> None:
    with celery_worker(queues="celery"):  # no evaluation worker: audio needs no scoring
        entry = enter(alice, challenge)
        assert wait_until(lambda: audio_done(entry), timeout=120), "no worker rendered it"
    assert entry.audio_state == AudioState.READY
    with entry.audio.open("rb") as handle:
        assert handle.read(4) == b"OggS"
    assert entry.state == "queued"  # scoring is another queue's work
