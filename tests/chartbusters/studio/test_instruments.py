"""Instrument per track (issue 20): each track's General MIDI program is chosen through the
API, stored in the composition's MIDI and roll, and heard in the audio rendered again,
because the program reaches the MIDI that FluidSynth plays."""

from __future__ import annotations

import io
from typing import Any

import mido
import numpy as np
import pytest
import soundfile as sf
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.studio.models import AudioState, Composition
from chartbusters.studio.services import composition_store_audio
from chartbusters.studio.tasks import render_composition_audio
from music import audio, listening
from music.instruments import GM_PROGRAMS, instruments_json, program_name
from music.midi_io import score_from_midi
from music.score import Note, Score, Track

pytestmark = pytest.mark.django_db
URL = "/api/studio/compositions/"
VIOLIN, CELLO, FLUTE = 40, 42, 73

needs_fluidsynth = pytest.mark.skipif(
    not audio.fluidsynth_available(), reason="fluidsynth (Debian package) is not installed"
)


def band(api: APIClient) -> dict[str, Any]:
    """A piano melody, a bass line and a drum track, made through the API."""
    tracks = [
        {"name": "Melody", "program": 0, "notes": [[60 + i, i * 480, 480, 90] for i in range(8)]},
        {"name": "Bass", "program": 32, "notes": [[36, i * 960, 960, 80] for i in range(4)]},
        {"name": "Drums", "program": 0, "is_drum": True,
         "notes": [[36, i * 480, 120, 100] for i in range(8)]},
    ]  # fmt: skip
    body = {"kind": "recording", "title": "Trio", "tempo": 120, "ticks_per_beat": 480,
            "time_signature": [4, 4], "tracks": tracks}  # fmt: skip
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return dict(response.json())


def set_instruments(api: APIClient, composition_id: str, programs: list[Any]) -> Any:
    return api.put(f"{URL}{composition_id}/instruments/", {"programs": programs}, format="json")


def stored_programs(composition: Composition) -> list[int]:
    with composition.midi.open("rb") as handle:
        return [track.program for track in score_from_midi(handle.read()).tracks]


def test_the_general_midi_names_are_one_table_of_16_families() -> None:
    assert len(GM_PROGRAMS) == 128
    assert (program_name(0), program_name(VIOLIN), program_name(FLUTE)) == (
        "Acoustic Grand Piano", "Violin", "Flute"
    )  # fmt: skip
    families = instruments_json()
    assert len(families) == 16
    assert [p for f in families for p, _ in f["programs"]] == list(range(128))


def test_each_track_keeps_the_instrument_chosen_for_it(
    as_alice: APIClient, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = band(as_alice)
    composition = Composition.objects.get(uuid=made["id"])
    composition.audio_state = AudioState.READY  # as if its first render had landed
    composition.save(update_fields=["audio_state"])

    response = set_instruments(as_alice, made["id"], [VIOLIN, CELLO, 0])
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [t["program"] for t in body["roll"]["tracks"]] == [VIOLIN, CELLO, 0]
    assert body["audio_state"] == "pending"  # rendered again, with the new instruments
    assert body["audio_url"] is None
    composition.refresh_from_db()
    assert stored_programs(composition) == [VIOLIN, CELLO, 0]
    assert body["roll"]["tracks"][0]["notes"] == made["roll"]["tracks"][0]["notes"]

    # The render hands MIDI to the renderer's child process (FluidSynth): the programs
    # are in it, on the tracks' channels.
    written: list[bytes] = []

    def spy(score: Score) -> bytes:
        written.append(to_midi(score))
        return written[-1]

    to_midi = listening.score_to_midi
    monkeypatch.setattr(listening, "score_to_midi", spy)
    assert render_composition_audio(composition.pk) == "rendered"
    changes = [
        (m.channel, m.program)
        for track in mido.MidiFile(file=io.BytesIO(written[-1])).tracks
        for m in track
        if m.type == "program_change"
    ]
    assert (0, VIOLIN) in changes
    assert (1, CELLO) in changes
    composition.refresh_from_db()
    assert composition.audio_state == AudioState.READY


@pytest.mark.parametrize(
    ("programs", "message"),
    [
        ([VIOLIN, CELLO], "one program per track: this composition has 3"),
        ([VIOLIN, CELLO, 0, 0], "one program per track: this composition has 3"),
        ([VIOLIN, 128, 0], "less than or equal to 127"),
        ([VIOLIN, -1, 0], "greater than or equal to 0"),
        ([VIOLIN, "cello", 0], "valid integer"),
        ([VIOLIN, CELLO, FLUTE], "Track 3 is the drum kit"),
        ([], "at least 1"),
    ],
)
def test_bad_programs_get_a_clear_400(
    as_alice: APIClient, programs: list[Any], message: str
) -> None:
    made = band(as_alice)
    response = set_instruments(as_alice, made["id"], programs)
    assert response.status_code == 400
    assert message in str(response.json()), response.json()
    assert stored_programs(Composition.objects.get(uuid=made["id"])) == [0, 32, 0]


def test_another_participants_composition_is_not_found(
    as_alice: APIClient, as_bob: APIClient
) -> None:
    made = band(as_alice)
    assert set_instruments(as_bob, made["id"], [VIOLIN, CELLO, 0]).status_code == 404


def test_a_render_of_the_old_instruments_is_not_attached(as_alice: APIClient) -> None:
    """A render that started before the change finishes after it: its audio is dropped,
    and the render queued with the change attaches the right one."""
    made = band(as_alice)
    composition = Composition.objects.get(uuid=made["id"])
    before = str(composition.midi.name)
    set_instruments(as_alice, made["id"], [FLUTE, CELLO, 0])
    stale = composition_store_audio(composition_id=composition.pk, audio=b"OggS", midi_name=before)
    assert stale
    composition.refresh_from_db()
    assert composition.audio_state == AudioState.PENDING
    assert not composition.audio


@needs_fluidsynth
def test_the_instrument_is_heard() -> None:
    """The same notes as a piano and as a flute sound different: their spectra differ."""

    def spectrum(program: int) -> np.ndarray:
        notes = [Note(i * 480, 72, 480, 90) for i in range(4)]
        score = Score([Track(notes, program=program)], resolution=480, tempo=120.0)
        samples, _ = sf.read(io.BytesIO(audio.render_audio(score, "wav")), always_2d=True)
        magnitude = np.abs(np.fft.rfft(samples.mean(axis=1), n=1 << 16))
        return np.asarray(magnitude / np.linalg.norm(magnitude))

    piano, flute = spectrum(0), spectrum(FLUTE)
    assert float(np.dot(piano, spectrum(0))) > 0.99  # a render is repeatable
    assert float(np.dot(piano, flute)) < 0.9
