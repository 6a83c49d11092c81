"""Judging: judges score anonymised finalists, and the final ranking combines as set."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from chartbusters.accounts.models import Role, User
from chartbusters.challenges.models import Challenge
from chartbusters.judging.models import Finalist, JudgeScore
from chartbusters.judging.results import leaderboard_publish_results
from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import make_challenge, scored_entry
from tests.chartbusters.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged(alice: User, bob: User, judge: User) -> Challenge:
    """Two finalists out of three; judges and the automatic score count half each."""
    challenge = make_challenge("judged", finalists_count=2, judge_weight=Decimal("0.5"))
    challenge.judges.add(judge)
    scored_entry(alice, challenge, 80.0, seed=1, title="Alice's")
    scored_entry(bob, challenge, 60.0, seed=2, title="Bob's")
    scored_entry(make_user("carol"), challenge, 40.0, seed=3, title="Carol's")
    Challenge.objects.filter(pk=challenge.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    challenge.refresh_from_db()
    return challenge


def entry_of(user: User) -> Submission:
    return Submission.objects.get(participant=user)


def handle_of(api: APIClient, challenge: Challenge, entry: Submission) -> str:
    """The entry's judging handle (made when a judge first lists the finalists); the
    entry's own id for an entry that is not a finalist."""
    api.get(f"/api/challenges/{challenge.slug}/finalists/")
    finalist = Finalist.objects.filter(submission=entry).first()
    return finalist.handle if finalist else str(entry.uuid)


def rubric(api: APIClient, challenge: Challenge, entry: Submission, *scores: int) -> int:
    body = dict(zip(("originality", "balance", "emotional"), scores, strict=True))
    url = f"/api/challenges/{challenge.slug}/finalists/{handle_of(api, challenge, entry)}/score/"
    return api.put(url, body, format="json").status_code


def test_a_judge_sees_the_finalists_without_names_or_scores(
    api: APIClient, judge: User, judged: Challenge
) -> None:
    api.force_authenticate(judge)
    response = api.get(f"/api/challenges/{judged.slug}/finalists/")
    assert response.status_code == 200
    finalists = response.json()
    assert [f["finalist"] for f in finalists] == ["Finalist A", "Finalist B"]
    text = response.content.decode()
    for secret in ("alice", "bob", "Alice's", "Bob's", "80.0", "60.0", 'score": 8'):
        assert secret not in text
    midi = api.get(f"/api/challenges/{judged.slug}/finalists/{finalists[0]['id']}/midi/")
    assert midi.content.startswith(b"MThd")
    assert "finalist-a.mid" in midi["Content-Disposition"]


@pytest.mark.parametrize("who", ["anonymous", "alice", "other_judge", "host"])
def test_only_the_challenges_judges_reach_the_finalists(
    api: APIClient, judged: Challenge, who: str, request: pytest.FixtureRequest
) -> None:
    if who == "other_judge":
        api.force_authenticate(make_user("other", Role.JUDGE))
    elif who != "anonymous":
        api.force_authenticate(request.getfixturevalue(who))
    response = api.get(f"/api/challenges/{judged.slug}/finalists/")
    assert response.status_code == (401 if who == "anonymous" else 404)


def test_judging_starts_when_entries_close(api: APIClient, judge: User) -> None:
    challenge = make_challenge("still-open", finalists_count=2)
    challenge.judges.add(judge)
    api.force_authenticate(judge)
    assert api.get(f"/api/challenges/{challenge.slug}/finalists/").status_code == 403


def test_a_judge_scores_a_finalist_and_can_change_it(
    api: APIClient, alice: User, judge: User, judged: Challenge
) -> None:
    api.force_authenticate(judge)
    assert rubric(api, judged, entry_of(alice), 4, 3, 5) == 200
    assert rubric(api, judged, entry_of(alice), 5, 5, 5) == 200
    score = JudgeScore.objects.get()
    assert (score.originality, score.balance, score.emotional) == (5, 5, 5)


def test_rubric_scores_run_from_1_to_5(
    api: APIClient, alice: User, judge: User, judged: Challenge
) -> None:
    api.force_authenticate(judge)
    assert rubric(api, judged, entry_of(alice), 0, 3, 6) == 400
    assert not JudgeScore.objects.exists()


def test_an_entry_outside_the_finalists_cannot_be_judged(
    api: APIClient, judge: User, judged: Challenge
) -> None:
    api.force_authenticate(judge)
    carol = User.objects.get(username="carol")
    assert rubric(api, judged, entry_of(carol), 3, 3, 3) == 404


def test_the_final_ranking_combines_judges_and_automatic_scores(
    api: APIClient, alice: User, bob: User, judge: User, judged: Challenge
) -> None:
    api.force_authenticate(judge)
    rubric(api, judged, entry_of(alice), 1, 1, 1)  # judges: 0 -> final 0.5*80 = 40
    rubric(api, judged, entry_of(bob), 5, 5, 5)  # judges: 100 -> final 0.5*60 + 50 = 80
    results = leaderboard_publish_results(challenge=judged)
    assert [(r.rank, r.participant_name, r.automatic_score, r.judge_score, r.final_score)
            for r in results] == [
        (1, "bob", 60.0, 100.0, 80.0),
        (2, "alice", 80.0, 0.0, 40.0),
        (3, "carol", 40.0, None, 40.0),
    ]  # fmt: skip
    assert rubric(api, judged, entry_of(bob), 1, 1, 1) == 409  # final once published


def test_a_judge_scores_on_the_judging_page(
    client: Client, alice: User, judge: User, judged: Challenge
) -> None:
    client.force_login(judge)
    assert "Judge the finalists" in client.get(f"/challenges/{judged.slug}/").content.decode()
    page = client.get(f"/judging/{judged.slug}/").content.decode()
    assert "Finalist A" in page
    assert "alice" not in page
    handle = Finalist.objects.get(submission=entry_of(alice)).handle
    response = client.post(
        f"/judging/{judged.slug}/",
        {"entry": handle, "originality": "4", "balance": "4", "emotional": "2"},
        follow=True,
    )
    assert "Saved your scores" in response.content.decode()
    assert JudgeScore.objects.get().emotional == 2
