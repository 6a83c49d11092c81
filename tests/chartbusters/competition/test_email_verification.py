"""Entering a challenge and liking entries need a confirmed email address, on every path
(the entry form, the API, the studio); the refusal says what to do."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.env import Rate
from chartbusters.leaderboards.models import Like
from chartbusters.studio.services import composition_create_from_sample
from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import piece, scored_entry
from tests.chartbusters.competition.helpers import submit, upload
from tests.chartbusters.conftest import make_user
from tests.chartbusters.helpers import link_in

pytestmark = pytest.mark.django_db

VERIFY_FIRST = "Verify your email address first"


@pytest.fixture
def newcomer(db: None) -> User:
    """Signed up, address not confirmed yet."""
    return make_user("newcomer", verified=False)


def api_for(user: User) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_an_unconfirmed_account_cannot_enter_through_the_api(
    newcomer: User, challenge: Challenge
) -> None:
    response = submit(api_for(newcomer), challenge)
    assert response.status_code == 403
    assert response.json()["code"] == "email_unverified"
    assert VERIFY_FIRST in response.json()["detail"]
    assert not Submission.objects.exists()


def test_an_unconfirmed_account_cannot_enter_through_the_form(
    client: Client, newcomer: User, challenge: Challenge
) -> None:
    client.force_login(newcomer)
    response = client.post(
        f"/submissions/enter/{challenge.slug}/",
        {"title": "Chorale", "technique": "upload", "file": upload(piece(1))},
    )
    assert VERIFY_FIRST in response.content.decode()
    assert not Submission.objects.exists()


def test_an_unconfirmed_account_cannot_enter_from_the_studio(
    newcomer: User, challenge: Challenge
) -> None:
    composition = composition_create_from_sample(user=newcomer, slug="new-world")
    response = api_for(newcomer).post(
        f"/api/studio/compositions/{composition.uuid}/submit/",
        {"challenge": challenge.slug, "title": "My entry"},
        format="json",
    )
    assert response.status_code == 403
    assert VERIFY_FIRST in response.json()["detail"]
    assert not Submission.objects.exists()


def test_an_unconfirmed_account_cannot_like(
    client: Client, newcomer: User, alice: User, challenge: Challenge
) -> None:
    entry = scored_entry(alice, challenge, 50.0)
    url = f"/api/challenges/{challenge.slug}/entries/{entry.uuid}/like/"
    response = api_for(newcomer).post(url)
    assert response.status_code == 403
    assert VERIFY_FIRST in response.json()["detail"]
    client.force_login(newcomer)
    page = client.post(f"/challenges/{challenge.slug}/entries/{entry.uuid}/like/", follow=True)
    assert VERIFY_FIRST in page.content.decode()
    assert not Like.objects.exists()
    entry.refresh_from_db()
    assert entry.likes_count == 0


def test_a_resent_link_confirms_the_account_which_may_then_enter(
    client: Client, newcomer: User, challenge: Challenge
) -> None:
    client.force_login(newcomer)
    assert "Send a new link" in client.get("/accounts/profile/").content.decode()
    response = client.post("/accounts/confirm-again/")
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["newcomer@example.com"]
    client.get(link_in(message))
    newcomer.refresh_from_db()
    assert newcomer.email_verified
    assert submit(api_for(newcomer), challenge).status_code == 201


def test_an_expired_link_confirms_nothing(client: Client, newcomer: User, settings: Any) -> None:
    client.force_login(newcomer)
    client.post("/accounts/confirm-again/")
    settings.EMAIL_CONFIRMATION_MAX_AGE_SECONDS = -1  # any age is too old now
    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    newcomer.refresh_from_db()
    assert not newcomer.email_verified


def test_confirmation_emails_are_throttled_per_account(
    client: Client, newcomer: User, settings: Any
) -> None:
    settings.THROTTLE_EMAIL_CONFIRMATION = Rate(count=2, seconds=3600)
    client.force_login(newcomer)
    for _ in range(2):
        assert client.post("/accounts/confirm-again/").status_code == 302
    response = client.post("/accounts/confirm-again/")
    assert response.status_code == 429
    assert "Too many confirmation emails" in response.content.decode()
    assert len(mail.outbox) == 2
