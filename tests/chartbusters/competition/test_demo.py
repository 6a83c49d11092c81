"""``manage.py load_demo``: challenges and entries that went through the real pipeline."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.leaderboards.models import FinalResult
from chartbusters.submissions.models import Submission

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_without_a_profile_the_demo_has_an_open_challenge_and_says_why_no_more(
    settings: Any, tmp_path: Path
) -> None:
    settings.EVALUATION_PROFILES_DIR = str(tmp_path)
    output = load_demo()
    assert Challenge.objects.get().slug == "bach-to-the-future"
    assert "No evaluation profile is built" in output
    assert not Submission.objects.exists()


@pytest.mark.slow
def test_the_demo_has_an_open_and_a_finished_challenge_with_scored_entries(
    real_judge: Path,
) -> None:
    output = load_demo()
    assert "Bach to the Future" in output
    bach = Challenge.objects.get(slug="bach-to-the-future")
    spin = Challenge.objects.get(slug="spin-the-model")
    assert bach.status == ChallengeStatus.OPEN
    assert spin.status == ChallengeStatus.FINISHED
    assert spin.results_published_at is not None
    assert set(Submission.objects.values_list("state", flat=True)) == {"scored"}
    assert all(s.evaluator_version for s in Submission.objects.all())
    results = list(FinalResult.objects.filter(challenge=spin).order_by("rank"))
    assert [r.rank for r in results] == [1, 2]
    assert any(r.judge_score is not None for r in results)
    load_demo()  # safe to run again
    assert Challenge.objects.count() == 2
    assert FinalResult.objects.filter(challenge=spin).count() == 2
