"""Board reads from the cache: the board page, the board API, the challenge page and the
people's choice are served again until the board's version moves, answer 304 to a client
that holds them, and are never stale after anything that changes what they show."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from chartbusters.accounts.models import User
from chartbusters.accounts.services import user_update_profile
from chartbusters.challenges.models import Challenge, LeaderboardVisibility
from chartbusters.leaderboards.likes import like_add
from chartbusters.submissions.audio import submission_render_audio
from chartbusters.submissions.models import AudioState, Submission
from chartbusters.submissions.services import submission_disqualify, submission_restore
from tests.chartbusters.builders import scored_entry
from tests.chartbusters.conftest import make_user

pytestmark = pytest.mark.django_db

READS = {
    "board page": "/challenges/{slug}/leaderboard/",
    "board API": "/api/challenges/{slug}/leaderboard/",
    "challenge page": "/challenges/{slug}/",
    "people's choice": "/api/challenges/{slug}/peoples-choice/",
}


@dataclass
class Board:
    challenge: Challenge
    alices: Submission
    bobs: Submission
    host: User

    def url(self, read: str) -> str:
        return READS[read].format(slug=self.challenge.slug)


@pytest.fixture
def board(alice: User, bob: User, challenge: Challenge, host: User) -> Board:
    alices = scored_entry(alice, challenge, 70.0, seed=1, title="Fugue by Alice")
    bobs = scored_entry(bob, challenge, 60.0, seed=2, title="Canon by Bob")
    like_add(user=host, submission=bobs)  # so the people's choice has a row
    return Board(challenge, alices, bobs, host)


def test_an_unchanged_board_answers_304_and_is_served_from_the_cache(board: Board) -> None:
    client = Client()
    for read in READS:
        first = client.get(board.url(read))
        assert first.status_code == 200, read
        assert first["X-Page-Cache"] == "miss", read
        again = client.get(board.url(read))
        assert (again.status_code, again["X-Page-Cache"]) == (200, "hit"), read
        assert again.content == first.content, read
        held = client.get(board.url(read), HTTP_IF_NONE_MATCH=first["ETag"])
        assert held.status_code == 304, read
        assert held.content == b"", read
        assert held["ETag"] == first["ETag"], read


def test_a_cached_read_costs_one_query(
    board: Board, django_assert_num_queries: Callable[..., Any]
) -> None:
    client = Client()
    for read in READS:
        client.get(board.url(read))
        with django_assert_num_queries(1):  # the challenge row, read for the access check
            assert client.get(board.url(read))["X-Page-Cache"] == "hit", read


def test_a_score_makes_a_new_etag_and_a_new_page(board: Board) -> None:
    client = Client()
    before = {read: client.get(board.url(read)) for read in ("board page", "board API")}
    scored_entry(make_user("carol"), board.challenge, 90.0, seed=3, title="Toccata by Carol")
    for read, old in before.items():
        response = client.get(board.url(read), HTTP_IF_NONE_MATCH=old["ETag"])
        assert response.status_code == 200, read
        assert response["ETag"] != old["ETag"], read
        assert b"Toccata by Carol" in response.content, read


def test_if_modified_since_answers_304_once_the_last_change_has_settled(board: Board) -> None:
    client = Client()
    url = board.url("board API")
    fresh = client.get(url)
    assert "Last-Modified" not in fresh  # changed a moment ago: ETag only
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Challenge.objects.filter(pk=board.challenge.pk).update(
        board_changed_at=an_hour_ago, updated_at=an_hour_ago
    )
    settled = client.get(url)
    assert settled["Last-Modified"] == http_date(int(an_hour_ago.timestamp()))
    since = client.get(url, HTTP_IF_MODIFIED_SINCE=settled["Last-Modified"])
    assert since.status_code == 304
    earlier = http_date(int(an_hour_ago.timestamp()) - 60)
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


# ----- no stale page after anything that changes the board -------------------------------


def hide_board(board: Board) -> None:
    board.challenge.leaderboard_visibility = LeaderboardVisibility.HIDDEN
    board.challenge.save()


def render_audio(board: Board) -> None:
    submission_render_audio(submission_id=board.alices.pk)
    assert Submission.objects.get(pk=board.alices.pk).audio_state == AudioState.READY


@dataclass(frozen=True)
class Event:
    change: Callable[[Board], object]
    reads: tuple[str, ...]
    shows: Callable[[Board, Any], bool]  # whether a response shows the change
    prepare: Callable[[Board], object] = lambda board: None


def shows_text(text: str) -> Callable[[Board, Any], bool]:
    return lambda board, response: text.encode() in response.content


def lacks_text(text: str) -> Callable[[Board, Any], bool]:
    return lambda board, response: text.encode() not in response.content


def bob_liked_twice(board: Board, response: Any) -> bool:
    if response["Content-Type"].startswith("application/json"):
        return bool(response.json()["results"][0]["likes"] == 2)
    return "♥ 2".encode() in response.content


def plays_alices_audio(board: Board, response: Any) -> bool:
    return reverse("submissions:audio", args=[board.alices.uuid]).encode() in response.content


EVENTS = {
    "an entry scored": Event(
        lambda b: scored_entry(make_user("carol"), b.challenge, 90.0, seed=3, title="Toccata"),
        ("board page", "board API", "challenge page"),
        shows_text("Toccata"),
    ),
    "an entry disqualified": Event(
        lambda b: submission_disqualify(submission=b.alices, by=b.host, reason="Copied."),
        ("board page", "board API", "challenge page"),
        lacks_text("Fugue by Alice"),
    ),
    "an entry restored": Event(
        lambda b: submission_restore(submission=b.alices),
        ("board page", "board API", "challenge page"),
        shows_text("Fugue by Alice"),
        prepare=lambda b: submission_disqualify(submission=b.alices, by=b.host, reason="Oops."),
    ),
    "a like": Event(
        lambda b: like_add(user=make_user("dave"), submission=b.bobs),
        ("people's choice", "board page", "challenge page"),
        bob_liked_twice,
    ),
    "a listening copy rendered": Event(render_audio, ("board page",), plays_alices_audio),
    "a participant renamed": Event(
        lambda b: user_update_profile(
            user=b.alices.participant,
            display_name="Alice Liddell",
            email="alice@example.com",
            bio="",
        ),
        ("board page", "board API", "challenge page", "people's choice"),
        shows_text("Alice Liddell"),
        prepare=lambda b: like_add(user=b.host, submission=b.alices),
    ),
    "the board hidden": Event(
        hide_board,
        ("board page", "board API", "challenge page", "people's choice"),
        lambda board, response: response.status_code == 403 or b"Canon" not in response.content,
    ),
    "the challenge edited (any path)": Event(
        lambda b: Challenge.objects.filter(pk=b.challenge.pk).update(title="Bach Redux"),
        ("board page", "challenge page"),
        shows_text("Bach Redux"),
    ),
}


@pytest.mark.parametrize("event", EVENTS)
def test_no_read_is_stale_after_the_board_changes(event: str, board: Board) -> None:
    what = EVENTS[event]
    what.prepare(board)
    client = Client()
    for read in what.reads:
        client.get(board.url(read))
        cached = client.get(board.url(read))
        assert cached["X-Page-Cache"] == "hit", read
        assert not what.shows(board, cached), f"{read} showed it before it happened"
    what.change(board)
    board.challenge.refresh_from_db()
    for read in what.reads:
        assert what.shows(board, client.get(board.url(read))), f"{read} is stale after {event}"


# ----- signed-in viewers ---------------------------------------------------------------------


def test_each_signed_in_viewer_gets_their_own_cached_page(board: Board, bob: User) -> None:
    alice = board.alices.participant
    pages = {}
    for user in (alice, bob):
        client = Client()
        client.force_login(user)
        client.get(board.url("board page"))  # sets the CSRF cookie: not stored
        client.get(board.url("board page"))
        pages[user.username] = client.get(board.url("board page"))
        assert pages[user.username]["X-Page-Cache"] == "hit"
    mine = re.compile(rb'<tr class="mine">.*?</tr>', re.S)
    assert b"Fugue by Alice" in mine.search(pages["alice"].content).group()  # type: ignore[union-attr]
    assert b"Canon by Bob" in mine.search(pages["bob"].content).group()  # type: ignore[union-attr]


def test_a_like_button_on_a_cached_page_carries_a_valid_csrf_token(board: Board, bob: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    for _ in range(2):  # the first sets the CSRF cookie; the second is stored under it
        client.get(board.url("board page"))
    page = client.get(board.url("board page"))
    assert page["X-Page-Cache"] == "hit"
    form = re.search(
        rb'action="([^"]+/like/)"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken" '
        rb'value="([^"]+)"',
        page.content,
    )
    assert form is not None
    action, token = form.group(1).decode(), form.group(2).decode()
    response = client.post(action, {"csrfmiddlewaretoken": token, "next": "/"})
    assert response.status_code == 302
    assert Submission.objects.get(pk=board.alices.pk).likes_count == 1


def test_a_page_showing_a_message_is_neither_served_from_nor_kept_in_the_cache(
    board: Board,
) -> None:
    alice = board.alices.participant
    client = Client()
    client.force_login(alice)
    for _ in range(2):
        client.get(board.url("board page"))
    like_own = f"/challenges/{board.challenge.slug}/entries/{board.alices.uuid}/like/"
    shown = client.post(like_own, {"next": board.url("board page")}, follow=True)
    assert b"You cannot like your own entry." in shown.content
    assert "X-Page-Cache" not in shown
    after = client.get(board.url("board page"))
    assert b"You cannot like your own entry." not in after.content


def test_a_hidden_board_seen_by_a_host_is_never_left_in_a_shared_cache(
    host: User, hidden_challenge: Challenge
) -> None:
    scored_entry(make_user("erin"), hidden_challenge, 80.0, seed=4)
    client = Client()
    client.force_login(host)
    for read in READS:
        response = client.get(READS[read].format(slug=hidden_challenge.slug))
        assert response.status_code == 200, read
        assert response["Cache-Control"] == "private, no-cache", read
    anonymous = Client().get(READS["board API"].format(slug=hidden_challenge.slug))
    assert anonymous.status_code == 403


def test_signed_in_pages_are_kept_for_their_own_shorter_lifetime(
    board: Board, bob: User, settings: Any
) -> None:
    settings.PAGE_CACHE_PRIVATE_SECONDS = 0  # kept not at all: every read renders
    member = Client()
    member.force_login(bob)
    for _ in range(3):
        assert member.get(board.url("board page"))["X-Page-Cache"] == "miss"
    anonymous = Client()
    anonymous.get(board.url("board page"))
    assert anonymous.get(board.url("board page"))["X-Page-Cache"] == "hit"
