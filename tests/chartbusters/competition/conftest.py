"""Fixtures for the competition tests: challenges, MIDI pieces, entries and reports."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ChallengeStatus, LeaderboardVisibility
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

REPO = Path(__file__).resolve().parents[3]
NO_PROFILE = "no shipped evaluation profile yet"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """The actors' passwords need not be hashed slowly here (accounts tests cover that)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Uploads go to a fresh folder, except where a worker process must read them."""
    if request.node.get_closest_marker("worker") is None:
        settings.MEDIA_ROOT = tmp_path / "media"


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


@pytest.fixture
def challenge(db: None) -> Challenge:
    """Open now, with a live leaderboard."""
    return make_challenge()


@pytest.fixture
def hidden_challenge(db: None) -> Challenge:
    """Open now, its leaderboard hidden until results are published."""
    return make_challenge("hidden-gems", leaderboard_visibility=LeaderboardVisibility.HIDDEN)


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


# ----- a real evaluation profile -----------------------------------------------------


def _build_quick_profile(output: Path) -> bool:
    if shutil.which(sys.executable) is None:
        return False
    result = subprocess.run(
        [sys.executable, "-m", "evaluation", "build-profile", "bach-chorales", "--quick",
         "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        timeout=900,
        check=False,
    )  # fmt: skip
    return result.returncode == 0 and (output / "bach-chorales" / "profile.json").exists()


@pytest.fixture(scope="session")
def profiles_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a scoring profile: the shipped ones if they exist, else a tiny
    one built with ``--quick``; the tests that need one are skipped when neither works."""
    try:
        from evaluation.profile import PROFILES_DIR
    except ImportError:
        pytest.skip(NO_PROFILE)
    if (PROFILES_DIR / "bach-chorales" / "profile.json").exists():
        return PROFILES_DIR
    built = tmp_path_factory.mktemp("profiles")
    if not _build_quick_profile(built):
        pytest.skip(NO_PROFILE)
    return built


@pytest.fixture
def real_judge(profiles_dir: Path, settings: Any) -> Path:
    settings.EVALUATION_PROFILES_DIR = str(profiles_dir)
    return profiles_dir
