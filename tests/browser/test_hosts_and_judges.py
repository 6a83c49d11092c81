"""Hosts and judges in a real browser (issue 20): a host downloads the board's CSV from
the board page; a judge reaches the finalists from the nav and sees them by label only,
never a title that names its maker (item 5)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from chartbusters.accounts.models import Role
from chartbusters.challenges.models import Challenge
from tests.chartbusters.builders import make_challenge, scored_entry
from tests.chartbusters.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLES = ("Alice's first spin", "Bob's second spin")


def log_in(page: Any, base: str, username: str, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"**{next_url}")


def named_board(slug: str, **fields: Any) -> Challenge:
    challenge = make_challenge(slug, **fields)
    scored_entry(make_user("alice"), challenge, 80.0, title=TITLES[0])
    scored_entry(make_user("bob"), challenge, 60.0, seed=2, title=TITLES[1])
    return challenge


def test_a_host_downloads_the_board_as_csv_from_the_board_page(live_server: Any, page: Any) -> None:
    challenge = named_board("csv-board")
    make_user("hostess", Role.HOST)
    url = f"/challenges/{challenge.slug}/leaderboard/"
    log_in(page, live_server.url, "hostess", url)
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download the board as CSV").click()
    text = Path(caught.value.path()).read_text(encoding="utf-8")
    assert text.startswith("rank,participant,email")
    assert TITLES[1] in text


def test_a_judge_finds_the_finalists_and_sees_no_names(live_server: Any, page: Any) -> None:
    challenge = named_board("blind-board", finalists_count=2, judge_weight=Decimal("0.5"))
    challenge.judges.add(make_user("judith", Role.JUDGE))
    Challenge.objects.filter(pk=challenge.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    log_in(page, live_server.url, "judith", "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Judging").click()
    page.get_by_role("link", name=challenge.title).click()
    page.wait_for_url(f"**/judging/{challenge.slug}/")
    assert page.get_by_role("heading", name="Finalist A").is_visible()
    assert page.get_by_role("heading", name="Finalist B").is_visible()
    body = page.locator("body").inner_text()
    assert not [title for title in TITLES if title in body]
    page.goto(f"{live_server.url}/challenges/{challenge.slug}/leaderboard/")
    body = page.locator("body").inner_text()
    assert "You judge this challenge" in body
    assert not [title for title in TITLES if title in body]
