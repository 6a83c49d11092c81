"""Blind judging: judges learn nothing that a public view could tie to a maker, and
nobody judges a challenge they entered (issue 14, items 3 and 12)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from chartbusters.accounts.models import Role, User
from chartbusters.challenges.models import Challenge, LeaderboardVisibility
from chartbusters.judging.models import JudgeScore
from chartbusters.submissions.models import AudioState, Submission
from music.midi_io import score_from_midi
from tests.chartbusters.builders import make_challenge, piece, scored_entry
from tests.chartbusters.competition.helpers import form_data

pytestmark = pytest.mark.django_db

SECRET_NAME = b"Alice Liddell"


def _meta(kind: int, text: bytes) -> bytes:
    return bytes((0, 0xFF, kind, len(text))) + text


def with_metadata(midi: bytes) -> bytes:
    """``midi`` with its maker written into every kind of text a MIDI file can carry:
    text, copyright, track name, instrument name, lyric, marker and cue point."""
    events = b"".join(_meta(kind, SECRET_NAME + b" %d" % kind) for kind in range(1, 8))
    assert midi[14:18] == b"MTrk"
    length = int.from_bytes(midi[18:22], "big")
    body = events + midi[22 : 22 + length]
    return midi[:14] + b"MTrk" + len(body).to_bytes(4, "big") + body + midi[22 + length :]


def close(challenge: Challenge) -> Challenge:
    Challenge.objects.filter(pk=challenge.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    challenge.refresh_from_db()
    return challenge


@pytest.fixture
def judged(alice: User, bob: User, judge: User) -> Challenge:
    """A hidden board with two finalists: alice's entry carries her name in its MIDI."""
    challenge = make_challenge(
        "blind",
        finalists_count=2,
        judge_weight=Decimal("0.5"),
        leaderboard_visibility=LeaderboardVisibility.HIDDEN,
    )
    challenge.judges.add(judge)
    scored_entry(alice, challenge, 80.0, title="Alice's aria", midi_bytes=with_metadata(piece(1)))
    scored_entry(bob, challenge, 60.0, seed=2, title="Bob's ballad")
    return close(challenge)


@pytest.fixture
def live_judged(alice: User, bob: User, judge: User) -> Challenge:
    """The same on a live board, where anyone can read the entries' ids."""
    challenge = make_challenge("blind-live", finalists_count=2, judge_weight=Decimal("0.5"))
    challenge.judges.add(judge)
    scored_entry(alice, challenge, 80.0, title="Alice's aria")
    scored_entry(bob, challenge, 60.0, seed=2, title="Bob's ballad")
    return close(challenge)


def public_ids(challenge: Challenge) -> set[str]:
    """Everything a public view could show about the challenge's entries."""
    ids = set()
    for entry in Submission.objects.filter(challenge=challenge):
        ids |= {str(entry.uuid), entry.short_id, str(entry.pk), entry.title}
    return ids


def finalists(api: APIClient, judge: User, challenge: Challenge) -> list[dict[str, Any]]:
    api.force_authenticate(judge)
    response = api.get(f"/api/challenges/{challenge.slug}/finalists/")
    assert response.status_code == 200, response.content
    return list(response.json())


def test_finalists_carry_no_id_or_title_that_a_public_view_shows(
    api: APIClient, judge: User, live_judged: Challenge
) -> None:
    shown = finalists(api, judge, live_judged)
    assert len(shown) == 2
    for finalist in shown:
        assert not {str(value) for value in finalist.values()} & public_ids(live_judged)
    board = api.get(f"/api/challenges/{live_judged.slug}/leaderboard/").content.decode()
    for finalist in shown:
        assert finalist["id"] not in board


def test_the_judging_page_shows_no_id_or_title_of_an_entry(
    client: Client, judge: User, live_judged: Challenge
) -> None:
    client.force_login(judge)
    page = client.get(f"/judging/{live_judged.slug}/").content.decode()
    assert "Finalist A" in page
    for secret in public_ids(live_judged) - {str(e.pk) for e in Submission.objects.all()}:
        assert secret not in page


def test_a_judge_scores_a_finalist_by_its_handle(
    api: APIClient, client: Client, alice: User, judge: User, judged: Challenge
) -> None:
    handles = [f["id"] for f in finalists(api, judge, judged)]
    body = {"originality": 4, "balance": 3, "emotional": 5}
    url = f"/api/challenges/{judged.slug}/finalists/{handles[0]}/score/"
    assert api.put(url, body, format="json").status_code == 200
    client.force_login(judge)
    response = client.post(
        f"/judging/{judged.slug}/",
        {"entry": handles[1], "originality": "2", "balance": "2", "emotional": "2"},
        follow=True,
    )
    assert "Saved your scores" in response.content.decode()
    assert JudgeScore.objects.count() == 2


def test_a_finalist_cannot_be_reached_by_its_public_id(
    api: APIClient, alice: User, judge: User, live_judged: Challenge
) -> None:
    api.force_authenticate(judge)
    entry = Submission.objects.get(participant=alice)
    base = f"/api/challenges/{live_judged.slug}/finalists/{entry.uuid}"
    assert api.get(f"{base}/midi/").status_code == 404
    assert api.put(f"{base}/score/", {"originality": 5, "balance": 5, "emotional": 5},
                   format="json").status_code == 404  # fmt: skip


def test_handles_stay_the_same_between_visits(
    api: APIClient, judge: User, judged: Challenge
) -> None:
    first = [(f["finalist"], f["id"]) for f in finalists(api, judge, judged)]
    assert [(f["finalist"], f["id"]) for f in finalists(api, judge, judged)] == first


def test_a_judge_gets_the_midi_without_its_makers_metadata(
    api: APIClient, judge: User, judged: Challenge
) -> None:
    original = Submission.objects.get(title="Alice's aria")
    with original.midi.open("rb") as handle:
        assert SECRET_NAME in handle.read()  # the stored file keeps what was uploaded
    shown = finalists(api, judge, judged)
    for finalist in shown:
        response = api.get(f"/api/challenges/{judged.slug}/finalists/{finalist['id']}/midi/")
        assert response.status_code == 200
        assert response.content.startswith(b"MThd")
        assert SECRET_NAME not in response.content
        assert b"Alice" not in response.content
        assert b"Voice" not in response.content
        score = score_from_midi(response.content)
        assert score.title == ""
        assert all(track.name == "" for track in score.tracks)
        assert sum(len(t.notes) for t in score.tracks) > 0


def test_a_judge_listens_through_the_handle_not_the_public_audio_url(
    api: APIClient, client: Client, alice: User, judge: User, judged: Challenge
) -> None:
    for entry in Submission.objects.all():
        entry.audio.save("x.ogg", ContentFile(b"OggS audio of " + entry.title.encode()))
        Submission.objects.filter(pk=entry.pk).update(audio_state=AudioState.READY)
    shown = finalists(api, judge, judged)
    heard = set()
    for finalist in shown:
        response = api.get(f"/api/challenges/{judged.slug}/finalists/{finalist['id']}/audio/")
        assert response.status_code == 200
        heard.add(response.getvalue())
    assert heard == {b"OggS audio of Alice's aria", b"OggS audio of Bob's ballad"}
    client.force_login(judge)
    alices = Submission.objects.get(participant=alice)
    assert client.get(f"/submissions/{alices.uuid}/audio.ogg").status_code == 404
    page = client.get(f"/judging/{judged.slug}/").content.decode()
    assert f"/finalists/{shown[0]['id']}/audio/" in page


def test_a_participant_of_a_challenge_cannot_judge_it(
    api: APIClient, alice: User, judged: Challenge
) -> None:
    judged.judges.add(alice)  # assigned behind the services' back
    api.force_authenticate(alice)
    response = api.get(f"/api/challenges/{judged.slug}/finalists/")
    assert response.status_code == 403
    assert "entered this challenge" in response.json()["detail"]
    url = f"/api/challenges/{judged.slug}/finalists/anything/score/"
    assert api.put(url, {"originality": 5, "balance": 5, "emotional": 5},
                   format="json").status_code == 403  # fmt: skip
    assert not JudgeScore.objects.exists()


def test_a_judge_cannot_enter_the_challenge_they_judge(api: APIClient, judge: User) -> None:
    challenge = make_challenge("judged-open", finalists_count=2)
    challenge.judges.add(judge)
    api.force_authenticate(judge)
    upload = BytesIO(piece(5))
    upload.name = "mine.mid"
    response = api.post(
        f"/api/challenges/{challenge.slug}/submissions/",
        {"title": "Mine", "technique": "upload", "file": upload},
        format="multipart",
    )
    assert response.status_code == 403
    assert "You judge this challenge" in response.json()["detail"]
    assert not Submission.objects.exists()


def test_the_admin_refuses_a_judge_who_entered_the_challenge(
    client: Client, host: User, alice: User, judge: User
) -> None:
    challenge = make_challenge("with-entries", finalists_count=2)
    scored_entry(alice, challenge, 50.0)
    User.objects.filter(pk=alice.pk).update(role=Role.JUDGE)
    client.force_login(host)
    data = form_data(
        title=challenge.title,
        slug=challenge.slug,
        starts_at_0=challenge.starts_at.strftime("%Y-%m-%d"),
        judges=[str(alice.pk), str(judge.pk)],
    )
    response = client.post(f"/admin/challenges/challenge/{challenge.pk}/change/", data)
    assert response.status_code == 200
    assert "alice has entered this challenge and cannot judge it" in response.content.decode()
    assert not challenge.judges.exists()
    ok = client.post(f"/admin/challenges/challenge/{challenge.pk}/change/",
                     data | {"judges": [str(judge.pk)]})  # fmt: skip
    assert ok.status_code == 302
    assert list(challenge.judges.all()) == [judge]


def test_someone_else_may_still_judge_and_enter_elsewhere(
    api: APIClient, judge: User, judged: Challenge
) -> None:
    other = make_challenge("elsewhere")
    scored_entry(judge, other, 50.0, seed=9)
    assert len(finalists(api, judge, judged)) == 2
