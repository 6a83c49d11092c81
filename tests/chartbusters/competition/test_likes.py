"""The people's choice: listeners listen to and like entries on a visible board."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import enter, report, score_with, scored_entry
from tests.chartbusters.conftest import make_user

pytestmark = pytest.mark.django_db


def like(api: APIClient, entry: Submission, method: str = "post") -> int:
    url = f"/api/challenges/{entry.challenge.slug}/entries/{entry.uuid}/like/"
    return int(getattr(api, method)(url).status_code)


def test_listeners_like_entries_and_the_peoples_choice_follows(
    api: APIClient, alice: User, bob: User, challenge: Challenge
) -> None:
    alices = scored_entry(alice, challenge, 50.0, seed=1)
    bobs = scored_entry(bob, challenge, 40.0, seed=2)
    for name in ("carol", "dave"):
        api.force_authenticate(make_user(name))
        assert like(api, bobs) == 200
        assert like(api, bobs) == 200  # twice counts once
    assert like(api, alices) == 200
    choice = api.get(f"/api/challenges/{challenge.slug}/peoples-choice/").json()["results"]
    assert [(row["participant"], row["likes"]) for row in choice] == [("bob", 2), ("alice", 1)]
    assert like(api, bobs, "delete") == 200
    bobs.refresh_from_db()
    assert bobs.likes_count == 1


def test_nobody_likes_their_own_entry(api: APIClient, alice: User, challenge: Challenge) -> None:
    entry = scored_entry(alice, challenge, 50.0)
    api.force_authenticate(alice)
    assert like(api, entry) == 400
    entry.refresh_from_db()
    assert entry.likes_count == 0


def test_anyone_may_listen_to_an_entry_on_a_live_board(
    api: APIClient, alice: User, challenge: Challenge
) -> None:
    entry = scored_entry(alice, challenge, 50.0)
    response = api.get(f"/api/challenges/{challenge.slug}/entries/{entry.uuid}/midi/")
    assert response.status_code == 200
    assert response.content.startswith(b"MThd")


def test_entries_off_the_board_cannot_be_listened_to_or_liked(
    api: APIClient, alice: User, bob: User, challenge: Challenge
) -> None:
    waiting = enter(alice, challenge, seed=1)
    copy = score_with(enter(bob, challenge, seed=1), report(60.0, copy_of="entry:1"))
    api.force_authenticate(make_user("carol"))
    for entry in (waiting, copy):
        assert (
            api.get(f"/api/challenges/{challenge.slug}/entries/{entry.uuid}/midi/").status_code
            == 404
        )
        assert like(api, entry) == 404


def test_a_hidden_board_has_no_listening_and_no_likes(
    api: APIClient, alice: User, hidden_challenge: Challenge
) -> None:
    entry = scored_entry(alice, hidden_challenge, 50.0)
    api.force_authenticate(make_user("carol"))
    slug = hidden_challenge.slug
    assert api.get(f"/api/challenges/{slug}/entries/{entry.uuid}/midi/").status_code == 403
    assert like(api, entry) == 403
    assert api.get(f"/api/challenges/{slug}/peoples-choice/").status_code == 403


def test_a_listener_likes_an_entry_on_the_challenge_page(
    client: Client, alice: User, bob: User, challenge: Challenge
) -> None:
    entry = scored_entry(alice, challenge, 50.0)
    client.force_login(bob)
    page = client.post(f"/challenges/{challenge.slug}/entries/{entry.uuid}/like/", follow=True)
    entry.refresh_from_db()
    assert entry.likes_count == 1
    assert "People's choice" in page.content.decode()
    client.post(f"/challenges/{challenge.slug}/entries/{entry.uuid}/like/", {"unlike": "1"})
    entry.refresh_from_db()
    assert entry.likes_count == 0
