"""The permission matrix: who sees what, on every endpoint, for live and hidden boards.

Actors: nobody (anonymous), alice (the owner), bob (another participant, who must see
nothing of alice's), a judge and a host.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.judging.results import leaderboard_publish_results
from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import enter, make_challenge, report, score_with

pytestmark = pytest.mark.django_db
ACTORS = ["anonymous", "alice", "bob", "judge", "host"]


@pytest.fixture
def as_actor(api: APIClient, request: pytest.FixtureRequest):
    def login(actor: str) -> APIClient:
        if actor != "anonymous":
            api.force_authenticate(request.getfixturevalue(actor))
        return api

    return login


@pytest.fixture
def entry(alice: User, bob: User, judge: User, host: User, challenge: Challenge) -> Submission:
    return score_with(enter(alice, challenge, title="Alice's aria"), report(64.0))


@pytest.fixture
def hidden_entry(
    alice: User, bob: User, judge: User, host: User, hidden_challenge: Challenge
) -> Submission:
    return score_with(enter(alice, hidden_challenge, title="Hidden aria"), report(64.0))


# ----- challenges -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "sees_draft"),
    [("anonymous", False), ("alice", False), ("judge", False), ("host", True)],
)
def test_drafts_are_seen_by_hosts_only(
    as_actor, actor: str, sees_draft: bool, alice: User, judge: User, host: User
) -> None:
    make_challenge("draft-one", status=ChallengeStatus.DRAFT)
    make_challenge("open-one")
    client = as_actor(actor)
    slugs = [c["slug"] for c in client.get("/api/challenges/").json()]
    assert ("draft-one" in slugs) is sees_draft
    assert "open-one" in slugs
    assert client.get("/api/challenges/draft-one/").status_code == (200 if sees_draft else 404)
    assert client.get("/api/challenges/draft-one/leaderboard/").status_code == (
        200 if sees_draft else 404
    )


def test_a_challenge_shows_its_rules_as_sanitised_html(
    api: APIClient, challenge: Challenge
) -> None:
    body = api.get(f"/api/challenges/{challenge.slug}/").json()
    assert body["description_html"] == "<p>Write <strong>Bach</strong>.</p>"
    assert body["weights"] == {"realism": 0.5, "typicality": 0.3, "frechet": 0.2}


# ----- leaderboards ---------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_a_live_board_is_public(as_actor, actor: str, entry: Submission) -> None:
    response = as_actor(actor).get(f"/api/challenges/{entry.challenge.slug}/leaderboard/")
    assert response.status_code == 200
    assert [(r["rank"], r["participant"], r["score"]) for r in response.json()["results"]] == [
        (1, "alice", 64.0)
    ]


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [("anonymous", False), ("alice", False), ("bob", False), ("judge", False), ("host", True)],
)
def test_a_hidden_board_is_seen_by_hosts_only_until_results_are_published(
    as_actor, actor: str, allowed: bool, hidden_entry: Submission
) -> None:
    client = as_actor(actor)
    slug = hidden_entry.challenge.slug
    response = client.get(f"/api/challenges/{slug}/leaderboard/")
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert response.json()["code"] == "leaderboard_hidden"
        assert "64" not in response.content.decode()
    assert client.get(f"/api/challenges/{slug}/results/").status_code == 404


@pytest.mark.parametrize("actor", ACTORS)
def test_a_hidden_board_is_public_once_results_are_published(
    as_actor, actor: str, hidden_entry: Submission
) -> None:
    challenge = hidden_entry.challenge
    Challenge.objects.filter(pk=challenge.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    challenge.refresh_from_db()
    leaderboard_publish_results(challenge=challenge)
    client = as_actor(actor)
    assert client.get(f"/api/challenges/{challenge.slug}/leaderboard/").status_code == 200
    results = client.get(f"/api/challenges/{challenge.slug}/results/").json()["results"]
    assert [(r["rank"], r["participant"], r["final_score"]) for r in results] == [
        (1, "alice", 64.0)
    ]


# ----- submissions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "status"),
    [("anonymous", 401), ("alice", 200), ("bob", 404), ("judge", 404), ("host", 200)],
)
def test_an_entry_and_its_file_are_seen_by_its_owner_and_hosts_only(
    as_actor, actor: str, status: int, entry: Submission
) -> None:
    client = as_actor(actor)
    detail = client.get(f"/api/submissions/{entry.uuid}/")
    assert detail.status_code == status
    midi = client.get(f"/api/submissions/{entry.uuid}/midi/")
    assert midi.status_code == status
    if status == 200:
        assert detail.json()["score"] == 64.0
        assert detail.json()["explanation"] == "Realism: 0.50"
        assert midi["Content-Type"] == "audio/midi"
        assert midi.content.startswith(b"MThd")


def test_an_owner_sees_no_score_while_the_board_is_hidden(
    api: APIClient, alice: User, hidden_entry: Submission
) -> None:
    api.force_authenticate(alice)
    body = api.get(f"/api/submissions/{hidden_entry.uuid}/").json()
    assert body["state"] == "scored"
    assert (body["score"], body["components"], body["explanation"], body["details"]) == (
        None,
        {},
        "",
        {},
    )
    listed = api.get("/api/submissions/").json()["results"]
    assert [(e["id"], e["score"]) for e in listed] == [(str(hidden_entry.uuid), None)]


def test_a_host_sees_the_full_report_on_a_hidden_board(
    api: APIClient, host: User, hidden_entry: Submission
) -> None:
    api.force_authenticate(host)
    body = api.get(f"/api/submissions/{hidden_entry.uuid}/").json()
    assert (body["score"], body["details"]) == (64.0, {"bars": 8})


def test_my_submissions_lists_only_my_own(
    api: APIClient, alice: User, bob: User, challenge: Challenge
) -> None:
    mine = enter(alice, challenge, seed=1)
    enter(bob, challenge, seed=2)
    api.force_authenticate(alice)
    listed = api.get("/api/submissions/", {"challenge": challenge.slug}).json()["results"]
    assert [(e["id"], e["state"]) for e in listed] == [(str(mine.uuid), "queued")]


def test_my_submissions_needs_a_login(api: APIClient) -> None:
    assert api.get("/api/submissions/").status_code == 401


# ----- host actions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "status"),
    [("anonymous", 401), ("alice", 404), ("bob", 404), ("judge", 404), ("host", 200)],
)
def test_only_hosts_disqualify_and_restore(
    as_actor, actor: str, status: int, entry: Submission
) -> None:
    client = as_actor(actor)
    response = client.post(
        f"/api/submissions/{entry.uuid}/disqualify/", {"reason": "Plagiarism."}, format="json"
    )
    assert response.status_code == status
    entry.refresh_from_db()
    assert entry.is_disqualified is (status == 200)
    assert client.post(f"/api/submissions/{entry.uuid}/restore/").status_code == status
    entry.refresh_from_db()
    assert not entry.is_disqualified


def test_the_owner_sees_why_an_entry_was_disqualified(
    api: APIClient, alice: User, host: User, entry: Submission
) -> None:
    api.force_authenticate(host)
    api.post(f"/api/submissions/{entry.uuid}/disqualify/", {"reason": "Plagiarism."}, format="json")
    api.force_authenticate(alice)
    body = api.get(f"/api/submissions/{entry.uuid}/").json()
    assert (body["disqualified"], body["disqualification_reason"]) == (True, "Plagiarism.")
    board = api.get(f"/api/challenges/{entry.challenge.slug}/leaderboard/").json()
    assert board["results"] == []


@pytest.mark.parametrize(
    ("actor", "status"),
    [("anonymous", 401), ("alice", 403), ("bob", 403), ("judge", 403), ("host", 200)],
)
def test_only_hosts_export_the_board_as_csv(
    as_actor, actor: str, status: int, entry: Submission
) -> None:
    response = as_actor(actor).get(f"/api/challenges/{entry.challenge.slug}/leaderboard.csv")
    assert response.status_code == status
    if status == 200:
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert lines[0].startswith("rank,participant,email,entry,title,technique,score,realism")
        assert lines[1].startswith(
            f"1,alice,alice@example.com,{entry.uuid},Alice's aria,upload,64.0,0.5"
        )
        assert len(lines) == 2


@pytest.mark.parametrize(
    ("actor", "status"), [("anonymous", 401), ("alice", 403), ("bob", 403), ("judge", 403)]
)
def test_only_hosts_rescore_and_publish(
    as_actor, actor: str, status: int, entry: Submission
) -> None:
    client = as_actor(actor)
    slug = entry.challenge.slug
    assert client.post(f"/api/challenges/{slug}/rescore/").status_code == status
    assert client.post(f"/api/challenges/{slug}/publish/").status_code == status
    assert client.get("/api/rescores/1/").status_code == status
