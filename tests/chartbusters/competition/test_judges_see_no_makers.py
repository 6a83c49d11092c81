"""Judging anonymous in practice (issue 20, item 5): a title such as "Bob's second spin"
names its maker, so a judge of the challenge sees no board, no title and no maker of an
entry, live board or hidden, until the results are published."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.judging.results import leaderboard_publish_results
from tests.chartbusters.builders import make_challenge, scored_entry

pytestmark = pytest.mark.django_db

TITLES = ("Alice's first spin", "Bob's second spin")


@pytest.fixture
def live(alice: User, bob: User, judge: User) -> Challenge:
    """A live board (anyone may read it) whose two finalists' titles name their makers."""
    challenge = make_challenge("named", finalists_count=2, judge_weight=Decimal("0.5"))
    challenge.judges.add(judge)
    scored_entry(alice, challenge, 80.0, title=TITLES[0])
    scored_entry(bob, challenge, 60.0, seed=2, title=TITLES[1])
    return challenge


def close(challenge: Challenge) -> Challenge:
    Challenge.objects.filter(pk=challenge.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    challenge.refresh_from_db()
    return challenge


def names_in(text: str, alice: User, bob: User) -> set[str]:
    secrets = {*TITLES, alice.public_name, bob.public_name}
    return {secret for secret in secrets if secret in unescape(text)}


def everything_a_judge_can_read(client: Client, api: APIClient, slug: str) -> str:
    pages: list[Any] = [
        client.get(f"/challenges/{slug}/"),
        client.get(f"/challenges/{slug}/leaderboard/"),
        client.get(f"/judging/{slug}/"),
        api.get(f"/api/challenges/{slug}/leaderboard/"),
        api.get(f"/api/challenges/{slug}/peoples-choice/"),
        api.get(f"/api/challenges/{slug}/finalists/"),
    ]
    return "\n".join(page.content.decode() for page in pages)


@pytest.mark.parametrize("closed", [False, True], ids=["open", "judging"])
def test_a_judge_sees_no_title_or_maker_before_the_results(
    client: Client, api: APIClient, alice: User, bob: User, judge: User, live: Challenge,
    closed: bool,
) -> None:  # fmt: skip
    challenge = close(live) if closed else live
    client.force_login(judge)
    api.force_authenticate(judge)
    assert names_in(everything_a_judge_can_read(client, api, challenge.slug), alice, bob) == set()
    board = api.get(f"/api/challenges/{challenge.slug}/leaderboard/")
    assert board.status_code == 403
    assert "You judge this challenge" in board.json()["detail"]
    page = client.get(f"/challenges/{challenge.slug}/leaderboard/").content.decode()
    assert "You judge this challenge" in page


def test_the_finalists_page_names_them_by_label_only(
    client: Client, alice: User, bob: User, judge: User, live: Challenge
) -> None:
    close(live)
    client.force_login(judge)
    page = client.get(f"/judging/{live.slug}/").content.decode()
    assert "Finalist A" in page
    assert "Finalist B" in page
    assert names_in(page, alice, bob) == set()


def test_others_still_see_the_live_board(
    client: Client, api: APIClient, alice: User, bob: User, live: Challenge
) -> None:
    assert TITLES[1] in api.get(f"/api/challenges/{live.slug}/leaderboard/").content.decode()
    assert TITLES[1] in unescape(client.get(f"/challenges/{live.slug}/").content.decode())


def test_a_judge_sees_everything_once_the_results_are_published(
    client: Client, api: APIClient, alice: User, bob: User, judge: User, live: Challenge
) -> None:
    leaderboard_publish_results(challenge=close(live))
    client.force_login(judge)
    api.force_authenticate(judge)
    board = api.get(f"/api/challenges/{live.slug}/leaderboard/")
    assert board.status_code == 200
    assert names_in(board.content.decode(), alice, bob) == {*TITLES, alice.public_name,
                                                            bob.public_name}  # fmt: skip
