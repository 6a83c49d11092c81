"""Reads for the studio."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, Technique
from chartbusters.challenges.selectors import challenge_list_open
from chartbusters.studio.access import submissions_prefetch
from chartbusters.studio.models import AudioState, Composition, GenerationJob
from chartbusters.studio.states import UNFINISHED_STATES, JobState
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import Verification

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


# Entries whose standing rests on their model version: made by our own runs (studio), or
# checked (verified) or waiting to be checked (pending) by a re-run. An unverified claim
# depends on nothing: any client can name a version that never existed.
DEPENDING = (Verification.STUDIO, Verification.VERIFIED, Verification.PENDING)


def provenance_versions(provenance: Any) -> set[str]:
    """The model versions a recorded provenance names: its claim and its chain's runs."""
    if not isinstance(provenance, dict):
        return set()
    chain = provenance.get("chain")
    links = [provenance, *(chain if isinstance(chain, list) else [])]
    versions = (link.get("model_version") for link in links if isinstance(link, dict))
    return {v for v in versions if isinstance(v, str) and v}


@dataclass
class VersionUse:
    """How many entries depend on a model version, name it otherwise, and compositions."""

    depending: int = 0
    other_entries: int = 0
    compositions: int = 0


def model_version_uses() -> dict[str, VersionUse]:
    """Every model version an entry's provenance or a studio composition names."""
    uses: dict[str, VersionUse] = {}
    rows = Submission.objects.exclude(provenance=None).values_list("provenance", "verification")
    counts: Counter[tuple[str, bool]] = Counter()
    for provenance, verification in rows.iterator(chunk_size=500):
        for version in provenance_versions(provenance):
            counts[version, verification in DEPENDING] += 1
    for (version, depends), count in counts.items():
        use = uses.setdefault(version, VersionUse())
        if depends:
            use.depending += count
        else:
            use.other_entries += count
    compositions = (
        Composition.objects.exclude(model_version="")
        .order_by()
        .values_list("model_version")
        .annotate(count=Count("pk"))
    )
    for version, count in compositions:
        uses.setdefault(version, VersionUse()).compositions += count
    return uses
