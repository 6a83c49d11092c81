"""``manage.py load_demo``: challenges and entries that went through the real pipeline."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.judging.results import leaderboard_publish_results
from chartbusters.leaderboards.models import FinalResult
from chartbusters.studio.models import GenerationJob, JobState
from chartbusters.submissions.models import Submission
from generation import registry
from tests.chartbusters.builders import make_challenge, scored_entry

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


def one_composition_per_entry(entry: Submission) -> GenerationJob:
    """The studio job that made the entry's piece (the entry's own record of it)."""
    (composition,) = entry.compositions.all()
    return GenerationJob.objects.get(result=composition)


@pytest.mark.slow
def test_the_demo_entries_are_made_by_the_generators_and_scored_by_the_judge(
    real_judge: Path, client: Client
) -> None:
    """Issue 20, item 7: entries made in the studio by the bundled generators, dated inside
    their challenge's window, scored by the judge with scores that spread; one ranking on
    each challenge page (the final results once published, else the board)."""
    load_demo()
    entries = list(Submission.objects.select_related("challenge"))
    assert len(entries) >= 6
    for entry in entries:
        window = entry.challenge
        assert window.starts_at <= entry.created_at < window.ends_at, entry.title
        assert entry.technique in registry.TECHNIQUES
        assert entry.verification == "studio"
        job = one_composition_per_entry(entry)
        assert job.state == JobState.DONE
        assert job.technique == entry.technique
        assert entry.score is not None
        assert entry.evaluator_version
        assert any(value > 0 for value in entry.components.values()), entry.components
    for slug in ("bach-to-the-future", "spin-the-model"):
        scores = [e.score for e in entries if e.challenge.slug == slug and e.score is not None]
        assert max(scores) - min(scores) >= 10, (slug, scores)
    assert {e.technique for e in entries} == set(registry.TECHNIQUES)
    finished = client.get("/challenges/spin-the-model/").content.decode()
    assert "Final results" in finished
    assert 'id="board-heading"' not in finished
    live = client.get("/challenges/bach-to-the-future/").content.decode()
    assert 'id="board-heading"' in live
    assert "Final results" not in live


def test_a_published_challenge_shows_one_ranking(client: Client, alice: Any, bob: Any) -> None:
    """The final results replace the board on the challenge page (issue 20, item 7)."""
    challenge = make_challenge("one-ranking", finalists_count=0)
    scored_entry(alice, challenge, 80.0, title="First")
    scored_entry(bob, challenge, 60.0, seed=2, title="Second")
    assert 'id="board-heading"' in client.get("/challenges/one-ranking/").content.decode()
    Challenge.objects.filter(pk=challenge.pk).update(ends_at=timezone.now() - timedelta(hours=1))
    challenge.refresh_from_db()
    leaderboard_publish_results(challenge=challenge)
    page = client.get("/challenges/one-ranking/").content.decode()
    assert 'id="results-heading"' in page
    assert 'id="board-heading"' not in page
