"""Host tools where hosts are (issue 20): the board's CSV from the board page and the
admin, a rescore's rank changes as a table in words, and judges' way to their work."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.leaderboards.models import RescoreRun
from chartbusters.leaderboards.rescore import leaderboard_rescore_start, rescore_finish
from chartbusters.leaderboards.services import leaderboard_refresh_participant
from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import make_challenge, scored_entry

pytestmark = pytest.mark.django_db

CSV_BUTTON = "Download the board as CSV"


@pytest.fixture
def staff_host(host: User) -> User:
    host.is_staff = True
    host.save(update_fields=["is_staff"])
    return host


@pytest.fixture
def board(alice: User, bob: User) -> Challenge:
    challenge = make_challenge("tools")
    scored_entry(alice, challenge, 50.0, seed=1, title="Alice's")
    scored_entry(bob, challenge, 70.0, seed=2, title="Bob's")
    return challenge


def test_a_host_downloads_the_board_from_the_board_page(
    client: Client, staff_host: User, board: Challenge
) -> None:
    client.force_login(staff_host)
    page = client.get(f"/challenges/{board.slug}/leaderboard/").content.decode()
    assert CSV_BUTTON in page
    link = f"/api/challenges/{board.slug}/leaderboard.csv"
    assert f'href="{link}"' in page
    response = client.get(link)
    assert response.status_code == 200
    assert "Bob's" in b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


def test_a_participant_sees_no_csv_button(client: Client, alice: User, board: Challenge) -> None:
    client.force_login(alice)
    assert CSV_BUTTON not in client.get(f"/challenges/{board.slug}/leaderboard/").content.decode()


def test_the_admin_links_each_challenge_to_its_csv(
    client: Client, staff_host: User, board: Challenge
) -> None:
    client.force_login(staff_host)
    link = f'href="/api/challenges/{board.slug}/leaderboard.csv"'
    assert link in client.get("/admin/challenges/challenge/").content.decode()
    change = client.get(f"/admin/challenges/challenge/{board.pk}/change/").content.decode()
    assert link in change


def test_a_rescore_shows_who_moved_from_where_to_where_and_why(
    client: Client, alice: User, staff_host: User, board: Challenge,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False):
        run = leaderboard_rescore_start(challenge=board, by=staff_host)
    with transaction.atomic():  # what a new evaluator might do: alice now scores higher
        Submission.objects.filter(participant=alice).update(score=90.0)
        leaderboard_refresh_participant(challenge_id=board.pk, participant_id=alice.pk)
    rescore_finish(run=RescoreRun.objects.get(pk=run.pk))
    client.force_login(staff_host)
    page = unescape(client.get(f"/admin/leaderboards/rescorerun/{run.pk}/change/").content.decode())
    assert "<th>Participant</th><th>From</th><th>To</th><th>Why</th>" in page
    assert (
        "<td>alice</td><td>#2</td><td>#1</td><td>Their score went from 50.00 to 90.00.</td>" in page
    )
    assert "<td>bob</td><td>#1</td><td>#2</td>" in page
    assert '{"' not in page  # no raw JSON of ranks
    assert "Changes:" not in page


def test_a_judge_keeps_the_judging_link_on_a_challenge_page(client: Client, judge: User) -> None:
    """The challenge page's own "can judge now" once hid the nav's Judging entry."""
    challenge = make_challenge("judged-later", finalists_count=2)
    challenge.judges.add(judge)
    client.force_login(judge)
    page = client.get(f"/challenges/{challenge.slug}/").content.decode()
    assert '<a href="/judging/">Judging</a>' in page
