"""The server-rendered pages: home, challenges with their board, submit, entries."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.test import Client
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import (
    enter,
    make_challenge,
    piece,
    report,
    score_with,
)

pytestmark = pytest.mark.django_db


def html(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def test_the_home_page_lists_open_and_upcoming_challenges(client: Client) -> None:
    now = timezone.now()
    make_challenge("bach-to-the-future", title="Bach to the Future")
    make_challenge(
        "track-or-treat", title="Track or Treat", status=ChallengeStatus.SCHEDULED,
        starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=9),
    )  # fmt: skip
    make_challenge("secret", title="Secret Draft", status=ChallengeStatus.DRAFT)
    page = html(client, "/")
    assert "Bach to the Future" in page
    assert "Coming up" in page
    assert "Track or Treat" in page
    assert "Secret Draft" not in page


def test_the_home_page_says_when_nothing_is_open(client: Client) -> None:
    assert "No challenge is taking entries right now." in html(client, "/")


def test_a_challenge_page_shows_its_rules_and_live_board(
    client: Client, alice: User, challenge: Challenge
) -> None:
    score_with(enter(alice, challenge, title="Alice's aria"), report(64.25))
    page = html(client, f"/challenges/{challenge.slug}/")
    assert "<strong>Bach</strong>" in page
    assert "Alice&#x27;s aria" in page
    assert "64.25" in page
    assert "Log in to enter" in page


def test_a_hidden_board_shows_no_scores_to_participants_but_does_to_hosts(
    client: Client, alice: User, host: User, hidden_challenge: Challenge
) -> None:
    entry = score_with(enter(alice, hidden_challenge, title="Hidden aria"), report(64.25))
    for viewer in (None, alice):
        if viewer:
            client.force_login(viewer)
        page = html(client, f"/challenges/{hidden_challenge.slug}/")
        assert "hidden until the results are published" in page
        assert "64.25" not in page
    detail = html(client, f"/submissions/{entry.uuid}/")
    assert "your score is revealed with the results" in detail
    assert "64.25" not in detail
    assert "64.25" not in html(client, "/submissions/")
    client.force_login(host)
    assert "64.25" in html(client, f"/challenges/{hidden_challenge.slug}/")


def test_a_draft_page_is_not_found_for_anyone_but_hosts(
    client: Client, alice: User, host: User
) -> None:
    make_challenge("secret", status=ChallengeStatus.DRAFT)
    html(client, "/challenges/secret/", status=404)
    client.force_login(alice)
    html(client, "/challenges/secret/", status=404)
    html(client, "/submissions/enter/secret/", status=404)
    client.force_login(host)
    html(client, "/challenges/secret/")


def midi_upload(data: bytes) -> BytesIO:
    handle = BytesIO(data)
    handle.name = "piece.mid"
    return handle


def test_a_participant_submits_with_the_form(
    client: Client, alice: User, challenge: Challenge
) -> None:
    client.force_login(alice)
    form = html(client, f"/submissions/enter/{challenge.slug}/")
    assert "5 entries left today" in form
    response = client.post(
        f"/submissions/enter/{challenge.slug}/",
        {"title": "Form aria", "technique": "upload", "file": midi_upload(piece(3))},
        follow=True,
    )
    entry = Submission.objects.get()
    assert response.redirect_chain[-1][0] == f"/submissions/{entry.uuid}/"
    page = response.content.decode()
    assert "is in the queue to be scored" in page
    assert "Your entry is queued" in page


def test_the_form_shows_the_validators_message_and_stores_nothing(
    client: Client, alice: User, challenge: Challenge
) -> None:
    client.force_login(alice)
    response = client.post(
        f"/submissions/enter/{challenge.slug}/",
        {"title": "Broken", "technique": "upload", "file": midi_upload(b"not midi")},
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not Submission.objects.exists()


def test_the_form_offers_only_the_techniques_the_challenge_allows(
    client: Client, alice: User
) -> None:
    make_challenge("arcnn-only", allowed_techniques=["arcnn"])
    client.force_login(alice)
    page = html(client, "/submissions/enter/arcnn-only/")
    assert 'value="arcnn"' in page
    assert 'value="upload"' not in page


def test_the_submit_form_needs_a_login(client: Client, challenge: Challenge) -> None:
    response = client.get(f"/submissions/enter/{challenge.slug}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_my_entries_page_lists_only_my_entries_with_their_state(
    client: Client, alice: User, bob: User, challenge: Challenge
) -> None:
    score_with(enter(alice, challenge, title="Scored one", seed=1), report(42.5))
    enter(alice, challenge, title="Waiting one", seed=2)
    enter(bob, challenge, title="Bob's one", seed=3)
    client.force_login(alice)
    page = html(client, "/submissions/")
    assert "Scored one" in page
    assert "42.50" in page
    assert "Waiting one" in page
    assert "Queued" in page
    assert "Bob" not in page


def test_an_entry_page_shows_the_report_to_its_owner_only(
    client: Client, alice: User, bob: User, challenge: Challenge
) -> None:
    entry = score_with(enter(alice, challenge, title="Aria"), report(42.5, realism=0.25))
    client.force_login(alice)
    page = html(client, f"/submissions/{entry.uuid}/")
    assert "42.50" in page
    assert "0.250" in page
    assert "1+test.0000000000" in page
    client.get(f"/submissions/{entry.uuid}/midi/")
    client.force_login(bob)
    html(client, f"/submissions/{entry.uuid}/", status=404)
    html(client, f"/submissions/{entry.uuid}/midi/", status=404)


def test_a_copy_shows_its_owner_why_it_is_off_the_ranking(
    client: Client, alice: User, challenge: Challenge
) -> None:
    entry = score_with(enter(alice, challenge), report(80.0, copy_of="bach-chorales:bwv1.6"))
    client.force_login(alice)
    page = html(client, f"/submissions/{entry.uuid}/")
    assert "Kept off the ranking: This entry copies bach-chorales:bwv1.6." in page


def test_the_challenges_page_lists_past_challenges_too(client: Client) -> None:
    now = timezone.now()
    make_challenge(
        "old-one", title="Old One", status=ChallengeStatus.FINISHED,
        starts_at=now - timedelta(days=30), ends_at=now - timedelta(days=20),
    )  # fmt: skip
    assert "Old One" in html(client, "/challenges/")
