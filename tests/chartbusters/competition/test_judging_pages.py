"""Judges find their work (issue 20, item 4): a "Judging" entry in the nav for judges, a
list of the challenges they judge, and a page that says when judging opens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from tests.chartbusters.builders import make_challenge

pytestmark = pytest.mark.django_db

NAV_LINK = '<a href="/judging/">Judging</a>'


@pytest.fixture
def upcoming(judge: User) -> Challenge:
    """Judged by ``judge``; entries are still open."""
    challenge = make_challenge("still-open", finalists_count=2)
    challenge.judges.add(judge)
    return challenge


def test_a_judge_finds_judging_in_the_nav(client: Client, judge: User, upcoming: Challenge) -> None:
    client.force_login(judge)
    assert NAV_LINK in client.get("/").content.decode()


def test_the_nav_has_no_judging_for_a_judge_of_nothing(client: Client, judge: User) -> None:
    client.force_login(judge)
    assert NAV_LINK not in client.get("/").content.decode()


def test_the_nav_has_no_judging_for_a_participant(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert NAV_LINK not in client.get("/").content.decode()


def test_the_judging_page_lists_the_challenges_a_judge_judges(
    client: Client, judge: User, upcoming: Challenge
) -> None:
    make_challenge("not-mine", finalists_count=2)
    client.force_login(judge)
    page = client.get("/judging/").content.decode()
    assert f'href="/judging/{upcoming.slug}/"' in page
    assert upcoming.title in page
    assert "Not Mine" not in page


def test_the_judging_page_needs_a_login(client: Client) -> None:
    response = client.get("/judging/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_before_entries_close_a_judge_is_told_when_judging_opens(
    client: Client, judge: User, upcoming: Challenge
) -> None:
    client.force_login(judge)
    response = client.get(f"/judging/{upcoming.slug}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="site-header"' in page  # the site around it, not a bare 403
    opens = date_format(timezone.localtime(upcoming.ends_at), "DATETIME_FORMAT")
    assert f"Judging opens {opens}" in page


def test_an_outsider_still_gets_a_404_before_judging_opens(
    client: Client, alice: User, upcoming: Challenge
) -> None:
    client.force_login(alice)
    assert client.get(f"/judging/{upcoming.slug}/").status_code == 404


def test_after_entries_close_the_judge_gets_the_finalists(
    client: Client, judge: User, upcoming: Challenge
) -> None:
    Challenge.objects.filter(pk=upcoming.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    client.force_login(judge)
    response = client.get(f"/judging/{upcoming.slug}/")
    assert response.status_code == 200
    assert f"Judging “{upcoming.title}”" in response.content.decode()
