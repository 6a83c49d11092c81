"""Entries' audio rendered by a real worker (on the audio queue), scoring untouched."""

from __future__ import annotations

import pytest

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.submissions.models import AudioState, Submission
from tests.chartbusters.builders import enter
from tests.worker import celery_worker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def audio_done(entry: Submission) -> bool:
    entry.refresh_from_db()
    return entry.audio_state != AudioState.PENDING


def test_a_worker_on_the_default_queue_renders_each_entrys_audio(
    alice: User, challenge: Challenge
) -> None:
    with celery_worker(queues="audio"):  # no evaluation worker: audio needs no scoring
        entry = enter(alice, challenge)
        assert wait_until(lambda: audio_done(entry), timeout=120), "no worker rendered it"
    assert entry.audio_state == AudioState.READY
    with entry.audio.open("rb") as handle:
        assert handle.read(4) == b"OggS"
    assert entry.state == "queued"  # scoring is another queue's work


def test_render_missing_audio_queues_every_pending_entry_and_retries_failures_on_request(
    alice: User, bob: User, challenge: Challenge
) -> None:
    from io import StringIO

    from django.core.management import call_command

    def ready(entry: Submission) -> bool:
        entry.refresh_from_db()
        return entry.audio_state == AudioState.READY

    pending, failed = enter(alice, challenge), enter(bob, challenge)
    with celery_worker(queues="audio"):
        # Let the messages queued at entry be consumed, so that below only the command's
        # own messages can render anything.
        assert wait_until(lambda: ready(pending) and ready(failed), timeout=120)
        # As if never rendered (stored before entries had audio, or its message was lost
        # with the broker down), and as if its rendering had failed.
        Submission.objects.filter(pk=pending.pk).update(audio_state=AudioState.PENDING)
        Submission.objects.filter(pk=failed.pk).update(audio_state=AudioState.FAILED)
        out = StringIO()
        call_command("render_missing_audio", stdout=out)
        assert out.getvalue().strip() == "Queued the audio of 1 entries."
        assert wait_until(lambda: ready(pending), timeout=120)
        failed.refresh_from_db()
        assert failed.audio_state == AudioState.FAILED  # left alone without --failed
        out = StringIO()
        call_command("render_missing_audio", "--failed", stdout=out)
        assert out.getvalue().strip() == "Queued the audio of 1 entries."
        assert wait_until(lambda: ready(failed), timeout=120)
