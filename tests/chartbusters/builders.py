"""Competition data for any Django test: challenges, MIDI pieces, entries and judge's reports."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.evaluator import scoring
from chartbusters.submissions.models import Submission
from chartbusters.submissions.pipeline import (
    Claim,
    submission_claim,
    submission_record_report,
)
from chartbusters.submissions.services import submission_create
from music.midi_io import score_to_midi
from music.score import Note, Score, Track


def make_challenge(slug: str = "bach-to-the-future", **fields: Any) -> Challenge:
    now = timezone.now()
    values: dict[str, Any] = {
        "title": slug.replace("-", " ").title(),
        "slug": slug,
        "starts_at": now - timedelta(days=1),
        "ends_at": now + timedelta(days=7),
        "status": ChallengeStatus.OPEN,
        "description": "Write **Bach**.",
    }
    values.update(fields)
    challenge = Challenge(**values)
    challenge.full_clean()
    challenge.save()
    return challenge


def piece(seed: int = 0, bars: int = 8) -> bytes:
    """A valid, four-part, chorale-like piece; different seeds give unrelated pieces."""
    rng = random.Random(seed)
    resolution = 480
    tracks = []
    for voice, (low, high) in enumerate([(60, 79), (55, 72), (48, 67), (36, 55)]):
        notes, tick, pitch = [], 0, rng.randint(low, high)
        while tick < bars * 4 * resolution:
            length = rng.choice([240, 480, 480, 960])
            pitch = min(high, max(low, pitch + rng.choice([-4, -2, -1, 1, 2, 3, 5])))
            notes.append(Note(tick, pitch, length, 80))
            tick += length
        tracks.append(Track(notes, program=0, name=f"Voice {voice + 1}"))
    return score_to_midi(Score(tracks=tracks, resolution=resolution))


def enter(
    user: User, challenge: Challenge, seed: int = 0, title: str = "My entry", **kw: Any
) -> Submission:
    return submission_create(
        user=user,
        challenge=challenge,
        title=title,
        description=kw.pop("description", ""),
        technique=kw.pop("technique", "upload"),
        midi_bytes=kw.pop("midi_bytes", None) or piece(seed),
        **kw,
    )


def report(score: float = 50.0, *, copy_of: str | None = None, **components: float) -> Any:
    """A judge's report as the evaluation library would give it (for pipeline tests that
    check what is stored and ranked, not how the judge scores)."""
    values = {"realism": 0.5, "typicality": 0.5, "frechet": 0.5} | components
    flags = []
    if copy_of:
        flags.append(
            {"code": "copy", "message": f"This entry copies {copy_of}.", "blocking": True,
             "source": copy_of}
        )  # fmt: skip
    return scoring.EntryReport(
        score=score,
        components=values,
        weights={"realism": 0.5, "typicality": 0.3, "frechet": 0.2},
        flags=flags,
        explanation="Realism: 0.50",
        evaluator_version="1+test.0000000000",
        profile="bach-chorales",
        details={"bars": 8},
        ranked=copy_of is None,
    )


def score_with(submission: Submission, result: Any) -> Submission:
    """Claim the entry as a worker would and store ``result``."""
    claim = submission_claim(submission_id=submission.pk)
    assert isinstance(claim, Claim), f"could not claim {submission}"
    stored = submission_record_report(claim=claim, report=result)
    assert stored is not None
    return stored


def scored_entry(
    user: User, challenge: Challenge, score: float, seed: int = 0, **kw: Any
) -> Submission:
    return score_with(enter(user, challenge, seed=seed, **kw), report(score))
