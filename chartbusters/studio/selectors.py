"""Reads for the studio."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min, QuerySet
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, Technique
from chartbusters.challenges.selectors import challenge_list_open
from chartbusters.studio.access import submissions_prefetch
from chartbusters.studio.models import AudioState, Composition, GenerationJob
from chartbusters.studio.states import UNFINISHED_STATES, JobState

MAX_CHAIN = 20


def composition_list_for_owner(*, user: User) -> QuerySet[Composition]:
    """A participant's compositions, newest first, with the entries made from them."""
    return (
        Composition.objects.filter(owner=user)
        .select_related("parent")
        .prefetch_related(submissions_prefetch())
        .order_by("-created_at", "-id")
    )


def composition_ancestors(composition: Composition) -> list[Composition]:
    """Parent, grandparent, ... (nearest first; at most ``MAX_CHAIN``)."""
    chain: list[Composition] = []
    current = composition
    while current.parent_id is not None and len(chain) < MAX_CHAIN:
        parent = Composition.objects.filter(pk=current.parent_id).first()
        if parent is None:
            break
        chain.append(parent)
        current = parent
    return chain


def unfinished_job_count(*, user: User) -> int:
    return GenerationJob.objects.filter(owner=user, state__in=UNFINISHED_STATES).count()


def challenges_open_for(technique: str | None = None) -> list[Challenge]:
    """Challenges taking entries now (made with ``technique``, when given)."""
    challenges = list(challenge_list_open(now=timezone.now()))
    if technique is None:
        return challenges
    return [c for c in challenges if technique in c.allowed_techniques]


def composition_choices(
    *, user: User, challenge: Challenge, limit: int = 100
) -> list[tuple[str, str, str]]:
    """(id, label, refusal) of the user's newest compositions; ``refusal`` says why this
    challenge does not take one ("" when it does), so the picker can show it disabled
    rather than leave it out without a word."""
    allowed = set(challenge.allowed_techniques)
    labels = dict(Technique.choices)
    rows = Composition.objects.filter(owner=user).order_by("-created_at", "-id")
    choices = []
    for composition in rows.only("uuid", "title", "kind", "technique", "created_at")[:limit]:
        technique = composition.technique if composition.is_generated else Technique.UPLOAD
        how = composition.technique or composition.get_kind_display().lower()
        label = f"{composition.title} ({how}, {composition.created_at:%d %b %Y %H:%M})"
        refusal = "" if technique in allowed else f"made with {labels.get(technique, technique)}"
        choices.append((str(composition.uuid), label, refusal))
    return choices


def generation_waiting_since() -> datetime | None:
    """When the oldest message for the generation queue was published: a queued job
    (its queue lease started then) or a composition's render."""
    lease = timedelta(seconds=settings.STUDIO_JOB_QUEUE_LEASE_SECONDS)
    job_lease = GenerationJob.objects.filter(state=JobState.QUEUED).aggregate(
        since=Min("lease_expires_at")
    )["since"]
    render = Composition.objects.filter(audio_state=AudioState.PENDING).aggregate(
        since=Min("audio_queued_at")
    )["since"]
    times = [since for since in (job_lease and job_lease - lease, render) if since]
    return min(times, default=None)
