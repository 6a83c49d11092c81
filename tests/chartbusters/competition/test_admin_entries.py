"""Entries are never deleted, only disqualified; published results never change
(issue 14, item 8). Through the admin's own pages, as a host or a superuser would."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.judging.results import leaderboard_publish_results
from chartbusters.leaderboards.models import FinalResult, LeaderboardEntry
from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import scored_entry
from tests.chartbusters.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db: None) -> User:
    root = make_user("root")
    User.objects.filter(pk=root.pk).update(is_staff=True, is_superuser=True)
    root.refresh_from_db()
    return root


@pytest.fixture
def three(alice: User, bob: User, challenge: Challenge) -> list[Submission]:
    """alice first, bob second, carol third on a live board."""
    return [
        scored_entry(alice, challenge, 80.0, seed=1, title="Winner"),
        scored_entry(bob, challenge, 60.0, seed=2),
        scored_entry(make_user("carol"), challenge, 40.0, seed=3),
    ]


def board(challenge: Challenge) -> list[tuple[int, str]]:
    rows = LeaderboardEntry.objects.filter(challenge=challenge).order_by("rank")
    return [(row.rank, row.participant.username) for row in rows.select_related("participant")]


def results(challenge: Challenge) -> list[tuple[int, str, str, float | None]]:
    return [
        (r.rank, r.participant_name, r.title, r.final_score)
        for r in FinalResult.objects.filter(challenge=challenge).order_by("rank")
    ]


def publish(challenge: Challenge) -> None:
    Challenge.objects.filter(pk=challenge.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    challenge.refresh_from_db()
    leaderboard_publish_results(challenge=challenge)


def bulk(client: Client, url: str, action: str, ids: list[int], **extra: Any) -> Any:
    data = {"action": action, "_selected_action": [str(pk) for pk in ids], "post": "yes"} | extra
    return client.post(url, data, follow=True)


@pytest.mark.parametrize("who", ["host", "superuser"])
def test_the_admin_offers_no_way_to_delete_an_entry(
    client: Client, three: list[Submission], who: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(who))
    entry = three[0]
    url = "/admin/submissions/submission/"
    assert client.get(f"{url}{entry.pk}/delete/").status_code == 403
    assert client.post(f"{url}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert "delete_selected" not in client.get(url).content.decode()
    bulk(client, url, "delete_selected", [e.pk for e in three])
    assert Submission.objects.count() == 3


def test_deleting_a_participant_in_the_admin_keeps_their_entries(
    client: Client, superuser: User, alice: User, three: list[Submission]
) -> None:
    client.force_login(superuser)
    page = client.post(f"/admin/accounts/user/{alice.pk}/delete/", {"post": "yes"})
    assert "Cannot delete user" in page.content.decode()  # their entries stand in the way
    bulk(client, "/admin/accounts/user/", "delete_selected", [alice.pk])
    assert User.objects.filter(pk=alice.pk).exists()
    assert Submission.objects.filter(participant=alice).count() == 1
    assert board(three[0].challenge)[0] == (1, "alice")


def test_deleting_a_challenge_with_entries_is_refused(
    client: Client, host: User, challenge: Challenge, three: list[Submission]
) -> None:
    client.force_login(host)
    client.post(f"/admin/challenges/challenge/{challenge.pk}/delete/", {"post": "yes"})
    bulk(client, "/admin/challenges/challenge/", "delete_selected", [challenge.pk])
    assert Challenge.objects.filter(pk=challenge.pk).exists()
    assert Submission.objects.count() == 3


def test_a_host_disqualifies_entries_in_the_admin_and_the_board_is_reranked(
    client: Client, host: User, challenge: Challenge, three: list[Submission]
) -> None:
    client.force_login(host)
    url = "/admin/submissions/submission/"
    refused = bulk(client, url, "disqualify", [three[0].pk], reason="  ")
    assert "Say why" in refused.content.decode()
    assert board(challenge) == [(1, "alice"), (2, "bob"), (3, "carol")]
    done = bulk(client, url, "disqualify", [three[0].pk], reason="Not their own work.")
    assert "1 entry disqualified" in done.content.decode()
    assert board(challenge) == [(1, "bob"), (2, "carol")]
    winner = Submission.objects.get(pk=three[0].pk)
    assert (winner.disqualification_reason, winner.disqualified_by) == ("Not their own work.", host)


def test_published_results_stay_as_published_when_the_winner_is_disqualified(
    api: APIClient, client: Client, host: User, challenge: Challenge, three: list[Submission]
) -> None:
    publish(challenge)
    published = results(challenge)
    assert published[0][:3] == (1, "alice", "Winner")
    api.force_authenticate(host)
    response = api.post(f"/api/submissions/{three[0].uuid}/disqualify/", {"reason": "Copied."})
    assert response.status_code == 200
    assert results(challenge) == published  # the frozen ranking is untouched
    assert board(challenge) == [(1, "bob"), (2, "carol")]  # the live board moves on
    shown = api.get(f"/api/challenges/{challenge.slug}/results/").json()["results"]
    assert [(r["rank"], r["participant"], r["disqualified"]) for r in shown] == [
        (1, "alice", True), (2, "bob", False), (3, "carol", False),
    ]  # fmt: skip
    page = client.get(f"/challenges/{challenge.slug}/").content.decode()
    assert "Disqualified after the results were published" in page


@pytest.mark.parametrize("who", ["host", "superuser"])
def test_published_results_cannot_be_deleted_in_the_admin(
    client: Client, challenge: Challenge, three: list[Submission], who: str,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    publish(challenge)
    client.force_login(request.getfixturevalue(who))
    first = FinalResult.objects.get(challenge=challenge, rank=1)
    url = "/admin/leaderboards/finalresult/"
    assert client.post(f"{url}{first.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk(client, url, "delete_selected", [first.pk])
    assert FinalResult.objects.filter(challenge=challenge).count() == 3
