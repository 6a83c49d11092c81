"""The site's pages through HTTP: home, challenge, leaderboard, entries, judging, audio.

Every page is server-rendered and complete without JavaScript (the countdown's text, the
entries' states and the score breakdown are in the HTML); scripts only enhance it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.judging.models import Finalist
from chartbusters.submissions.audio import submission_render_audio
from chartbusters.submissions.models import AudioState, Submission
from chartbusters.submissions.services import submission_disqualify
from tests.chartbusters.builders import (
    enter,
    make_challenge,
    report,
    score_with,
    scored_entry,
)
from tests.chartbusters.conftest import make_user

pytestmark = pytest.mark.django_db


def html(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def with_audio(entry: Submission) -> Submission:
    assert submission_render_audio(submission_id=entry.pk) == "rendered"
    entry.refresh_from_db()
    return entry


def close(challenge: Challenge) -> Challenge:
    Challenge.objects.filter(pk=challenge.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    challenge.refresh_from_db()
    return challenge


# ----- home and challenge pages --------------------------------------------------------


def test_the_home_page_counts_down_to_the_close_and_the_opening(client: Client) -> None:
    now = timezone.now()
    make_challenge(
        "bach-to-the-future", title="Bach to the Future", ends_at=now + timedelta(days=2)
    )
    make_challenge(
        "track-or-treat", title="Track or Treat", status=ChallengeStatus.SCHEDULED,
        starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=9),
    )  # fmt: skip
    page = html(client, "/")
    assert "Closes in" in page
    assert "Opens in" in page
    assert re.search(r'<time datetime="[^"]+" data-countdown role="timer"[^>]*>\s*1\xa0day', page)
    assert "js/site/countdown.js" in page
    assert "How entries are scored" in page


def test_the_home_page_costs_the_same_queries_for_few_or_many_challenges(client: Client) -> None:
    make_challenge("one")
    few = queries(client, "/")
    for i in range(8):
        make_challenge(f"more-{i}")
    assert queries(client, "/") == few


def test_a_challenge_page_shows_rules_dates_countdown_top_entries_and_submit_link(
    client: Client, alice: User, bob: User, challenge: Challenge
) -> None:
    scored_entry(alice, challenge, 64.25, seed=1, title="Alice's aria")
    scored_entry(bob, challenge, 70.0, seed=2, title="Bob's bourrée")
    client.force_login(alice)
    page = html(client, f"/challenges/{challenge.slug}/")
    assert "Rules" in page
    assert "<strong>Bach</strong>" in page
    assert f'datetime="{challenge.ends_at.isoformat()}"' in page
    assert "Closes in" in page
    board = page[page.index('id="board-heading"') :]
    assert board.index("Bob&#x27;s bourrée") < board.index("Alice&#x27;s aria")
    assert 'class="breakdown"' in board
    assert f'href="/challenges/{challenge.slug}/leaderboard/"' in page
    assert f'href="/submissions/enter/{challenge.slug}/"' in page


def test_a_finished_challenge_has_no_countdown(client: Client) -> None:
    now = timezone.now()
    make_challenge(
        "old", status=ChallengeStatus.FINISHED, starts_at=now - timedelta(days=9),
        ends_at=now - timedelta(days=2),
    )  # fmt: skip
    page = html(client, "/challenges/old/")
    assert "data-countdown" not in page
    assert "not taking entries now" in page


# ----- the leaderboard page ----------------------------------------------------------------


def test_the_leaderboard_page_shows_each_entrys_breakdown_as_a_chart(
    client: Client, alice: User, bob: User, challenge: Challenge
) -> None:
    score_with(enter(alice, challenge, seed=1), report(80.0, realism=0.25, typicality=0.5))
    score_with(enter(bob, challenge, seed=2), report(60.0, realism=0.9, frechet=0.75))
    page = html(client, f"/challenges/{challenge.slug}/leaderboard/")
    assert 'aria-label="Realism 0.25, typicality 0.50, Fréchet 0.50"' in page
    assert 'aria-label="Realism 0.90, typicality 0.50, Fréchet 0.75"' in page
    assert '<rect class="bar realism" x="0" y="0" width="25"' in page
    assert '<rect class="bar frechet" x="0" y="18" width="75"' in page
    assert page.index("alice") < page.index("bob")


def test_the_leaderboard_sorts_by_any_component_both_ways(
    client: Client, alice: User, bob: User, challenge: Challenge
) -> None:
    score_with(enter(alice, challenge, seed=1), report(80.0, realism=0.25))
    score_with(enter(bob, challenge, seed=2), report(60.0, realism=0.9))
    url = f"/challenges/{challenge.slug}/leaderboard/"
    by_realism = html(client, f"{url}?sort=realism")
    assert by_realism.index("bob") < by_realism.index("alice")
    assert re.search(
        r'<th scope="col"( class="wide")? aria-sort="descending"><a href="\?sort=-realism">',
        by_realism,
    )
    reversed_ = html(client, f"{url}?sort=-realism")
    assert reversed_.index("alice") < reversed_.index("bob")
    assert 'aria-sort="ascending"' in reversed_
    assert html(client, f"{url}?sort=password").count('aria-sort="ascending"') == 1  # rank


def test_the_leaderboard_page_plays_entries_that_have_audio(
    client: Client, alice: User, bob: User, challenge: Challenge
) -> None:
    ready = with_audio(scored_entry(alice, challenge, 80.0, seed=1))
    scored_entry(bob, challenge, 60.0, seed=2)
    page = html(client, f"/challenges/{challenge.slug}/leaderboard/")
    assert page.count("data-play=") == 1  # one shared player, a play button per entry
    assert f'data-play="/submissions/{ready.uuid}/audio.ogg"' in page
    assert page.count(">MIDI<") == 4  # in the row, and again in its phone disclosure


def test_the_leaderboard_page_is_paginated(client: Client, challenge: Challenge) -> None:
    for i in range(52):
        scored_entry(make_user(f"p{i:02d}"), challenge, float(i), seed=i)
    url = f"/challenges/{challenge.slug}/leaderboard/"
    first = html(client, url)
    assert "Page 1 of 2" in first
    assert "p51" in first
    assert "p01" not in first
    second = html(client, f"{url}?page=2")
    assert "p01" in second
    assert "p00" in second
    assert "p51" not in second


def test_a_hidden_leaderboard_page_shows_nothing_but_to_hosts(
    client: Client, alice: User, host: User, hidden_challenge: Challenge
) -> None:
    scored_entry(alice, hidden_challenge, 64.25, seed=1, title="Hidden aria")
    url = f"/challenges/{hidden_challenge.slug}/leaderboard/"
    for viewer in (None, alice):
        if viewer:
            client.force_login(viewer)
        page = html(client, url, status=403)
        assert "hidden until the results are published" in page
        assert "Hidden aria" not in page
        assert "64.25" not in page
    client.force_login(host)
    assert "64.25" in html(client, url)


def test_a_draft_leaderboard_page_is_not_found(client: Client, alice: User) -> None:
    make_challenge("secret", status=ChallengeStatus.DRAFT)
    html(client, "/challenges/secret/leaderboard/", status=404)
    client.force_login(alice)
    html(client, "/challenges/secret/leaderboard/", status=404)


def test_the_leaderboard_page_costs_the_same_queries_for_few_or_many_rows(
    client: Client, alice: User, challenge: Challenge
) -> None:
    scored_entry(make_user("first"), challenge, 10.0, seed=100)
    bigger = make_challenge("bigger")
    for i in range(12):
        entry = scored_entry(make_user(f"many{i}"), bigger, float(i), seed=i)
        if i < 2:
            with_audio(entry)
    for viewer in (None, alice):
        if viewer:
            client.force_login(viewer)
        few = queries(client, f"/challenges/{challenge.slug}/leaderboard/")
        assert queries(client, f"/challenges/{bigger.slug}/leaderboard/") == few
        assert queries(client, f"/challenges/{bigger.slug}/leaderboard/?sort=-frechet") == few


def test_liking_from_the_leaderboard_page_comes_back_to_it(
    client: Client, alice: User, bob: User, challenge: Challenge
) -> None:
    entry = scored_entry(alice, challenge, 50.0)
    client.force_login(bob)
    back = f"/challenges/{challenge.slug}/leaderboard/?sort=realism"
    response = client.post(
        f"/challenges/{challenge.slug}/entries/{entry.uuid}/like/", {"next": back}
    )
    assert response["Location"] == back
    elsewhere = client.post(
        f"/challenges/{challenge.slug}/entries/{entry.uuid}/like/",
        {"next": "https://evil.example/"},
    )
    assert elsewhere["Location"] == f"/challenges/{challenge.slug}/"


# ----- your entries ---------------------------------------------------------------------


def test_my_entries_render_their_state_for_live_updates(
    client: Client, alice: User, challenge: Challenge, hidden_challenge: Challenge
) -> None:
    waiting = enter(alice, challenge, seed=1, title="Waiting one")
    scored_entry(alice, hidden_challenge, 77.5, seed=2, title="Hidden one")
    client.force_login(alice)
    page = html(client, "/submissions/")
    assert f'data-entry="{waiting.uuid}" data-state="queued"' in page
    assert "hidden until results" in page
    assert "77.50" not in page
    assert "js/site/live-status.js" in page


def test_my_entries_cost_the_same_queries_for_few_or_many(
    client: Client, alice: User, challenge: Challenge
) -> None:
    Challenge.objects.filter(pk=challenge.pk).update(daily_quota=50, total_quota=50)
    challenge.refresh_from_db()
    scored_entry(alice, challenge, 10.0, seed=1)
    client.force_login(alice)
    few = queries(client, "/submissions/")
    other = make_challenge("other", daily_quota=50, total_quota=50)
    for seed in range(2, 12):
        scored_entry(alice, other if seed % 2 else challenge, float(seed), seed=seed)
    assert queries(client, "/submissions/") == few


def test_the_entry_page_shows_the_full_report_with_its_chart_and_audio(
    client: Client, alice: User, challenge: Challenge
) -> None:
    entry = score_with(enter(alice, challenge, title="Aria"), report(42.5, realism=0.25))
    client.force_login(alice)
    page = html(client, f"/submissions/{entry.uuid}/")
    assert "The audio is being rendered" in page
    assert 'aria-label="Realism 0.25, typicality 0.50, Fréchet 0.50"' in page
    assert "42.50" in page
    assert "Realism: 0.50" in page
    assert f'data-entry="{entry.uuid}" data-state="scored"' in page
    with_audio(entry)
    page = html(client, f"/submissions/{entry.uuid}/")
    assert f'<audio controls preload="metadata" src="/submissions/{entry.uuid}/audio.ogg">' in page


def test_a_waiting_entry_page_says_the_report_will_appear(
    client: Client, alice: User, challenge: Challenge
) -> None:
    entry = enter(alice, challenge)
    client.force_login(alice)
    page = html(client, f"/submissions/{entry.uuid}/")
    assert "Your entry is queued" in page
    assert 'data-refresh="report listen"' in page


# ----- audio ----------------------------------------------------------------------------


def test_a_worker_renders_an_entrys_audio_once(alice: User, challenge: Challenge) -> None:
    entry = with_audio(enter(alice, challenge))
    assert entry.audio_state == AudioState.READY
    with entry.audio.open("rb") as handle:
        assert handle.read(4) == b"OggS"
    assert submission_render_audio(submission_id=entry.pk) == "done"
    assert submission_render_audio(submission_id=10**9) == "gone"


def test_a_failed_rendering_leaves_the_score_and_the_board_alone(
    alice: User, challenge: Challenge
) -> None:
    entry = scored_entry(alice, challenge, 66.0)
    with entry.midi.open("wb") as handle:
        handle.write(b"no longer a MIDI file")
    assert submission_render_audio(submission_id=entry.pk) == "failed"
    entry.refresh_from_db()
    assert (entry.audio_state, entry.state, entry.score) == (AudioState.FAILED, "scored", 66.0)
    assert not entry.audio


def audio_status(client: Client, entry: Submission) -> int:
    response = client.get(f"/submissions/{entry.uuid}/audio.ogg")
    if response.status_code == 200:
        assert response["Content-Type"] == "audio/ogg"
        assert b"".join(response.streaming_content).startswith(b"OggS")  # type: ignore[attr-defined]
    return response.status_code


def test_audio_follows_the_entrys_visibility_on_a_live_board(
    client: Client, alice: User, bob: User, host: User, challenge: Challenge
) -> None:
    entry = with_audio(scored_entry(alice, challenge, 50.0))
    assert audio_status(client, entry) == 200  # a listener on the public board
    for viewer in (alice, bob, host):
        client.force_login(viewer)
        assert audio_status(client, entry) == 200
    submission_disqualify(submission=entry, by=host, reason="Not theirs.")
    for viewer, expected in ((alice, 200), (host, 200), (bob, 404)):
        client.force_login(viewer)
        assert audio_status(client, entry) == expected


def test_an_entrys_audio_answers_a_byte_range_so_players_can_seek(
    client: Client, alice: User, challenge: Challenge
) -> None:
    entry = with_audio(scored_entry(alice, challenge, 50.0))
    whole = b"".join(client.get(f"/submissions/{entry.uuid}/audio.ogg").streaming_content)  # type: ignore[attr-defined]
    response = client.get(f"/submissions/{entry.uuid}/audio.ogg", HTTP_RANGE="bytes=4-9")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 4-9/{len(whole)}"
    assert b"".join(response.streaming_content) == whole[4:10]  # type: ignore[attr-defined]
    assert response["Accept-Ranges"] == "bytes"


def test_audio_on_a_hidden_board_is_for_its_owner_and_hosts_only(
    client: Client, alice: User, bob: User, host: User, judge: User, hidden_challenge: Challenge
) -> None:
    entry = with_audio(scored_entry(alice, hidden_challenge, 50.0))
    assert audio_status(client, entry) == 404
    for viewer, expected in ((alice, 200), (host, 200), (bob, 404), (judge, 404)):
        client.force_login(viewer)
        assert audio_status(client, entry) == expected


def test_audio_that_is_not_ready_is_not_found(
    client: Client, alice: User, challenge: Challenge
) -> None:
    entry = scored_entry(alice, challenge, 50.0)
    client.force_login(alice)
    assert audio_status(client, entry) == 404


def test_judges_hear_the_finalists_of_a_hidden_board_and_nothing_else(
    client: Client, alice: User, bob: User, judge: User
) -> None:
    challenge = make_challenge(
        "judged", finalists_count=1, judge_weight=Decimal("0.5"),
        leaderboard_visibility="hidden",
    )  # fmt: skip
    challenge.judges.add(judge)
    finalist = with_audio(scored_entry(alice, challenge, 80.0, seed=1))
    other = with_audio(scored_entry(bob, challenge, 20.0, seed=2))
    client.force_login(judge)
    assert audio_status(client, finalist) == 404  # judging starts when entries close
    close(challenge)
    page = html(client, f"/judging/{challenge.slug}/")
    handle = Finalist.objects.get(submission=finalist).handle
    assert f'src="/api/challenges/{challenge.slug}/finalists/{handle}/audio/"' in page
    heard = client.get(f"/api/challenges/{challenge.slug}/finalists/{handle}/audio/")
    assert heard.status_code == 200
    assert heard.getvalue().startswith(b"OggS")
    # Never by the entry's public id, which a board or an entry page could tie to alice.
    assert audio_status(client, finalist) == 404
    assert audio_status(client, other) == 404
    assert "Scored 0 of 1." in page
    assert "alice" not in page
    assert "80.0" not in page
