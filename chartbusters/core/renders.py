"""The lease of a listening copy's render, one rule for entries and studio compositions.

A row that gets audio carries ``audio_state`` (pending until rendered or failed),
``audio_queued_at`` (when its render was published; None when publishing failed) and
``audio_attempts`` (renders queued so far). A pending render is *lost* when its publish
failed, or when it is overdue (``AUDIO_RENDER_LEASE_SECONDS`` after it was queued) and
its queue is empty, so that its message cannot still be waiting there: while the queue
holds messages, ours may be among them, and publishing it again would duplicate it.
:func:`reap_lost_renders` queues lost renders again, at most ``AUDIO_MAX_ATTEMPTS``
times, then marks the audio failed so that it can never loop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from chartbusters.core.queues import queue_depth


def reap_lost_renders(
    model: type[models.Model],
    *,
    pending: str,
    failed: str,
    queue: str,
    publish: Callable[[int], None],
    now: datetime | None = None,
) -> tuple[list[int], list[int]]:
    """Queue lost renders of ``model`` rows again with ``publish`` (on commit); fail
    those out of attempts. The ids (re-queued, failed)."""
    now = now or timezone.now()
    rows = model._default_manager
    lost = _lost(rows.filter(audio_state=pending), queue, now)
    requeued, gave_up = [], []
    for pk in list(lost.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            row: Any = rows.select_for_update().get(pk=pk)
            if not lost.filter(pk=pk).exists():
                continue  # rendered, or queued again, since the list was read
            if row.audio_queued_at is not None:  # a render that never landed
                if row.audio_attempts >= settings.AUDIO_MAX_ATTEMPTS:
                    row.audio_state = failed
                    row.save(update_fields=["audio_state", "updated_at"])
                    gave_up.append(pk)
                    continue
                row.audio_attempts += 1
            row.audio_queued_at = now
            row.save(update_fields=["audio_queued_at", "audio_attempts", "updated_at"])
            publish(pk)
            requeued.append(pk)
    return requeued, gave_up


def _lost(pending: QuerySet[Any], queue: str, now: datetime) -> QuerySet[Any]:
    unpublished = Q(audio_queued_at__isnull=True)
    overdue = Q(audio_queued_at__lt=now - timedelta(seconds=settings.AUDIO_RENDER_LEASE_SECONDS))
    if not pending.filter(overdue).exists() or queue_depth(queue) != 0:
        return pending.filter(unpublished)
    return pending.filter(unpublished | overdue)


def render_ogg(score: Any) -> bytes:
    """Celery tasks only: a score's listening copy (FluidSynth or the sine fallback, Ogg
    Vorbis, at most a few minutes), rendered in a child process that a crash cannot
    escape. The one renderer of entries', compositions' and samples' audio."""
    from music.listening import render_listening_copy  # numpy, soundfile: worker only

    return render_listening_copy(score, "ogg")
