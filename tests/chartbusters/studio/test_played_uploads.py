"""An upload played in without the click is stored written out on its player's beat."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.studio.generators import MAX_BARS
from chartbusters.studio.models import Composition
from chartbusters.studio.scores import FOLLOW_BARS_FACTOR
from music.midi_io import score_from_midi, score_to_midi
from music.score import Score
from tests.chartbusters.studio.helpers import midi
from tests.music.builders import performed, two_voices

pytestmark = pytest.mark.django_db
URL = "/api/studio/compositions/"


def upload(api: APIClient, data: bytes, **extra: Any) -> Any:
    file = SimpleUploadedFile("played.mid", data, content_type="audio/midi")
    return api.post(URL, {"midi": file, **extra}, format="multipart")


def played(bars: int = 8, bpm: float = 80.0, seed: int = 1) -> tuple[Score, bytes]:
    written = two_voices(seed, bars=bars)
    return written, score_to_midi(performed(written, seed, bpm=bpm, resolution=96))


def stored(body: dict[str, Any], user: User) -> Score:
    composition = Composition.objects.get(uuid=body["id"], owner=user)
    with composition.midi.open("rb") as file:
        return score_from_midi(file.read())


def test_a_played_in_upload_is_stored_on_its_own_beat(as_alice: APIClient, alice: User) -> None:
    written, data = played(bpm=80)
    response = upload(as_alice, data)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "written out on your own beat" in body["notice"]
    assert "Keep my file's timing" in body["notice"]
    assert body["tempo"] == pytest.approx(80, rel=0.15)
    assert body["bars"] in (8, 9)  # an upbeat may open a bar
    score = stored(body, alice)
    assert score.tempo == pytest.approx(body["tempo"])
    # Every note on a 16th or a triplet 8th, its pitch kept, track by track.
    for before, after in zip(written.tracks, score.tracks, strict=True):
        assert [n.pitch for n in after.notes] == [n.pitch for n in before.notes]
        for note in after.notes:
            assert note.start % (score.resolution // 4) == 0 or (
                note.start % (score.resolution // 3) == 0
            )
    assert body["roll"]["ticks_per_beat"] == score.resolution


def test_keep_my_timing_stores_the_file_as_it_came(as_alice: APIClient, alice: User) -> None:
    _, data = played(bpm=80)
    response = upload(as_alice, data, keep_timing="true")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "notice" not in body
    assert body["tempo"] == 120
    assert stored(body, alice).tracks == score_from_midi(data).tracks


def test_a_written_upload_is_kept_as_it_is_without_a_notice(
    as_alice: APIClient, alice: User
) -> None:
    data = midi(4)
    body = upload(as_alice, data).json()
    assert "notice" not in body
    assert stored(body, alice).tracks == score_from_midi(data).tracks


def test_the_bar_limit_counts_the_bars_as_stored(as_alice: APIClient) -> None:
    """Played at 60 bpm and saved at 120, 20 bars fill 40 of the file's: refused as the
    file stands, taken written out."""
    _, data = played(bars=20, bpm=60, seed=2)
    assert score_from_midi(data).measured_bar_count > MAX_BARS
    kept = upload(as_alice, data, keep_timing="true")
    assert kept.status_code == 400
    assert kept.json()["code"] == "too_many_bars"
    followed = upload(as_alice, data)
    assert followed.status_code == 201, followed.json()
    assert followed.json()["bars"] <= 21


def test_a_file_far_over_the_limit_is_refused_before_its_beat_is_sought(
    as_alice: APIClient,
) -> None:
    _, data = played(bars=20, bpm=60, seed=2)
    score = score_from_midi(data)
    longest = score.measured_bar_count
    assert longest <= MAX_BARS * FOLLOW_BARS_FACTOR
    # Four times as long: more than the factor allows, so it is refused as it stands.
    response = upload(as_alice, score_to_midi(_repeat(score, 4)))
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_bars"
    assert f"at most {MAX_BARS} bars" in response.json()["detail"]


def _repeat(score: Score, times: int) -> Score:
    span = score.end_tick
    tracks = [
        replace(
            t, notes=[replace(n, start=n.start + k * span) for k in range(times) for n in t.notes]
        )
        for t in score.tracks
    ]
    return replace(score, tracks=tracks)


def test_the_studio_page_offers_to_keep_the_timing(client: Client, alice: User) -> None:
    client.force_login(alice)
    page = client.get("/studio/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="keep_timing"' in html
    assert 'id="input-notice"' in html
