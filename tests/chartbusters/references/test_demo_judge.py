"""The demo's host-built judge: ``build_demo_judge`` (tiny networks here) and the
challenge ``load_demo`` then opens on it."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from chartbusters.challenges.models import Challenge
from chartbusters.references.models import BuildState, JudgeBuild
from chartbusters.submissions.models import Submission

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.timeout(900)]


def command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_demo_opens_a_challenge_on_the_christmas_judge_once_it_is_built(
    real_judge: Path,
) -> None:
    assert "run manage.py build_demo_judge" in command("load_demo")
    assert not Challenge.objects.filter(slug="christmas-chorales").exists()

    built = command("build_demo_judge", "--quick")
    judge = JudgeBuild.objects.get(profile_name="christmas-chorales-v1")
    assert judge.state == BuildState.BUILT, judge.error
    assert "christmas-chorales-v1 built in" in built
    assert judge.reference_set.pieces.filter(name__startswith="bach/bwv248").count() >= 10

    assert "christmas-chorales-v1" in command("load_demo")
    christmas = Challenge.objects.get(slug="christmas-chorales")
    assert christmas.evaluation_profile == "christmas-chorales-v1"
    assert christmas.use_judge_below_targets == (not judge.passes_validity)
    entry = Submission.objects.get(challenge=christmas)
    assert entry.state == "scored", entry.failure_reason
    assert entry.profile == "christmas-chorales-v1"
    assert "already built" in command("build_demo_judge", "--quick")
