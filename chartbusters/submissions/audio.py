"""Listening copies of entries: an Ogg Vorbis rendering of each entry's MIDI file, at
most a few minutes long and rendered in a child process (``music.listening``), so a piece
that crashes the renderer costs a failed preview, never a worker.

Rendering runs in a Celery task after the entry is stored (never in the web process) and
is independent of scoring: a rendering that fails leaves the entry without audio (its
MIDI file stays downloadable) and never touches its state, score or place on the board.

A listening copy is never lost for good: ``audio_queued_at`` records when its render was
queued (empty when the publish failed, the broker being down), and the reaper's pass
``submissions_audio_reap`` queues it again: at once when the publish failed, and after
the render lease when the render never landed (its message lost, or its task hit a
dropped database connection) and the audio queue holds no message it could still be
waiting behind. Each such re-queue is an attempt; after ``AUDIO_MAX_ATTEMPTS`` the
entry's audio is marked failed, so a piece that cannot be rendered never loops.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q

from chartbusters.challenges.services import challenge_board_changed
from chartbusters.core.enqueue import publish_on_commit
from chartbusters.core.renders import reap_lost_renders, render_ogg
from chartbusters.submissions.models import AudioState, Submission, submission_audio_path
from music.validate import validate_midi

logger = logging.getLogger(__name__)
RENDER_SUBMISSION_AUDIO = "chartbusters.submissions.tasks.render_submission_audio"


def submission_render_audio(*, submission_id: int) -> str:
    """Render the entry's audio once; a repeated delivery finds it done. Returns what
    happened: "rendered", "done" (already), "gone" (no such entry) or "failed"."""
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None:
        return "gone"
    if submission.audio_state == AudioState.READY:
        return "done"
    try:
        ogg = _render(submission)
    except Exception:
        # Anything at all (a file that no longer parses, a broken synthesizer): the entry
        # simply has no audio. Scoring never waits for or depends on this.
        logger.exception("Rendering the audio of submission %s failed", submission_id)
        return submission_audio_give_up(submission_id=submission_id)
    storage = submission.audio.storage
    name = storage.save(submission_audio_path(submission, "audio.ogg"), ContentFile(ogg))
    with transaction.atomic():
        stored = (
            Submission.objects.filter(pk=submission_id)
            .filter(~Q(audio_state=AudioState.READY))
            .update(audio=name, audio_state=AudioState.READY)
        )
        if stored:  # the board shows a player for entries that have a listening copy
            challenge_board_changed(challenge_ids=[submission.challenge_id])
    if not stored:  # another delivery finished first
        storage.delete(name)
        return "done"
    return "rendered"


def submission_audio_give_up(*, submission_id: int) -> str:
    """Rendering this entry's audio kept killing the worker: no listening copy (its MIDI
    file stays downloadable), and no more tries."""
    Submission.objects.filter(pk=submission_id).exclude(audio_state=AudioState.READY).update(
        audio_state=AudioState.FAILED
    )
    return "failed"


def _render(submission: Submission) -> bytes:
    with submission.midi.open("rb") as handle:
        score = validate_midi(handle.read())
    return render_ogg(score)


AUDIO_QUEUE = "audio"  # its own workers: a score never waits behind a rendering (settings)


def publish_audio(submission_id: int) -> None:
    """Queue the entry's render once the transaction commits; a failed publish clears
    ``audio_queued_at`` so the reaper's next pass queues it again."""

    publish_on_commit(
        RENDER_SUBMISSION_AUDIO,
        (submission_id,),
        what=f"the audio of submission {submission_id}",
        on_failure=lambda: Submission.objects.filter(
            pk=submission_id, audio_state=AudioState.PENDING
        ).update(audio_queued_at=None),
        queue=AUDIO_QUEUE,
    )


def submissions_audio_reap(*, now: datetime | None = None) -> tuple[list[int], list[int]]:
    """Queue again the renders that are lost; fail those out of attempts. The ids
    (re-queued, failed)."""
    return reap_lost_renders(
        Submission,
        pending=AudioState.PENDING,
        failed=AudioState.FAILED,
        queue=AUDIO_QUEUE,
        publish=publish_audio,
        now=now,
    )
