"""Listening copies of entries: an Ogg Vorbis rendering of each entry's MIDI file, at
most a few minutes long and rendered in a child process (``music.listening``), so a piece
that crashes the renderer costs a failed preview, never a worker.

Rendering runs in a Celery task after the entry is stored (never in the web process) and
is independent of scoring: a rendering that fails leaves the entry without audio (its
MIDI file stays downloadable) and never touches its state, score or place on the board.
"""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db.models import Q

from chartbusters.submissions.models import AudioState, Submission, submission_audio_path
from music.validate import validate_midi

logger = logging.getLogger(__name__)


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
    stored = (
        Submission.objects.filter(pk=submission_id)
        .filter(~Q(audio_state=AudioState.READY))
        .update(audio=name, audio_state=AudioState.READY)
    )
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
    from music.listening import render_listening_copy  # numpy, soundfile: worker only

    with submission.midi.open("rb") as handle:
        score = validate_midi(handle.read())
    return render_listening_copy(score, "ogg")
