"""The board API's rows carry the links a client needs to listen (issue 20): the entry's
listening copy once it is rendered, and its MIDI file, both working for whoever reads the
board."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from chartbusters.challenges.models import Challenge
from chartbusters.submissions.models import AudioState
from tests.chartbusters.builders import scored_entry
from tests.chartbusters.conftest import make_user

pytestmark = pytest.mark.django_db

OGG = b"OggS" + bytes(60)  # the view serves the stored bytes as they are


def board(api: APIClient, challenge: Challenge) -> list[dict[str, Any]]:
    response = api.get(f"/api/challenges/{challenge.slug}/leaderboard/")
    assert response.status_code == 200
    return list(response.json()["results"])


def test_a_row_links_to_its_audio_once_rendered_and_always_to_its_midi(
    api: APIClient, challenge: Challenge
) -> None:
    heard = scored_entry(make_user("heard"), challenge, 70.0, seed=1, title="Heard")
    heard.audio.save("entry.ogg", ContentFile(OGG), save=False)
    heard.audio_state = AudioState.READY
    heard.save(update_fields=["audio", "audio_state"])
    scored_entry(make_user("pending"), challenge, 60.0, seed=2, title="Not yet rendered")

    first, second = board(api, challenge)
    assert first["title"] == "Heard"
    assert first["audio_url"] == f"/submissions/{heard.uuid}/audio.ogg"
    assert second["audio_url"] is None
    for row in (first, second):
        assert row["midi_url"] == f"/api/challenges/{challenge.slug}/entries/{row['entry']}/midi/"

    audio = api.get(first["audio_url"])
    assert audio.status_code == 200
    assert audio["Content-Type"] == "audio/ogg"
    assert b"".join(audio.streaming_content).startswith(b"OggS")  # type: ignore[attr-defined]
    midi = api.get(second["midi_url"])
    assert midi.status_code == 200
    assert midi.content.startswith(b"MThd")
