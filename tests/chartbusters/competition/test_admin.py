"""Hosts set challenges up in the admin; other staff and users cannot."""

from __future__ import annotations

import pytest
from django.test import Client

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ChallengeStatus
from tests.chartbusters.competition.helpers import form_data

pytestmark = pytest.mark.django_db


def test_a_host_creates_a_challenge_in_the_admin(client: Client, host: User) -> None:
    client.force_login(host)
    response = client.post("/admin/challenges/challenge/add/", form_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    challenge = Challenge.objects.get(slug="bach-to-the-future")
    assert challenge.status == ChallengeStatus.DRAFT
    assert challenge.allowed_techniques == ["arcnn", "upload"]
    assert challenge.created_by == host


def test_the_admin_shows_why_dates_and_weights_are_refused(client: Client, host: User) -> None:
    client.force_login(host)
    data = form_data(ends_at_0="2000-01-01", weight_realism="0", weight_typicality="0",
                     weight_frechet="0")  # fmt: skip
    html = client.post("/admin/challenges/challenge/add/", data).content.decode()
    assert "The end must come after the start." in html
    assert "At least one weight must be above 0." in html
    assert not Challenge.objects.exists()


def test_the_admin_form_is_organised_in_fieldsets(client: Client, host: User) -> None:
    client.force_login(host)
    html = client.get("/admin/challenges/challenge/add/").content.decode()
    for legend in ("Schedule", "Entries", "Scoring", "Leaderboard", "Judging"):
        assert f">{legend}<" in html


def test_a_host_schedules_a_challenge_with_an_admin_action(client: Client, host: User) -> None:
    client.force_login(host)
    client.post("/admin/challenges/challenge/add/", form_data())
    challenge = Challenge.objects.get()
    client.post(
        "/admin/challenges/challenge/",
        {"action": "schedule", "_selected_action": [challenge.pk]},
    )
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.SCHEDULED


@pytest.mark.parametrize("who", ["alice", "judge"])
def test_only_hosts_reach_the_challenge_admin(
    client: Client, who: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(who)
    user.is_staff = True  # even staff that are not hosts
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    assert client.get("/admin/challenges/challenge/").status_code == 403
    assert client.get("/admin/challenges/challenge/add/").status_code == 403


def test_a_host_publishes_results_and_starts_a_rescore_from_the_admin(
    client: Client, host: User, alice: User
) -> None:
    from chartbusters.leaderboards.models import FinalResult, RescoreRun
    from tests.chartbusters.builders import make_challenge, scored_entry

    challenge = make_challenge()
    scored_entry(alice, challenge, 50.0)
    client.force_login(host)
    url = "/admin/challenges/challenge/"
    client.post(url, {"action": "rescore", "_selected_action": [challenge.pk]})
    assert RescoreRun.objects.filter(challenge=challenge).count() == 1
    page = client.post(
        url, {"action": "publish_results", "_selected_action": [challenge.pk]}, follow=True
    )
    assert "once entries have closed" in page.content.decode()
    assert not FinalResult.objects.exists()
    assert client.get("/admin/leaderboards/rescorerun/").status_code == 200
