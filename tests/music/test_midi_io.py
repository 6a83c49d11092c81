"""Reading and writing Standard MIDI Files: exact round trips and the reading rules."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import pretty_midi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from music.midi_io import read_midi_file, score_from_midi, score_to_midi, write_midi_file
from music.score import Note, Score, Track
from music.validate import Limits, MidiValidationError
from tests.music.conftest import (
    END_OF_TRACK,
    deepcomposer_files,
    melody_track,
    off,
    on,
    smf,
    tempo_event,
    vlq,
)

requires_deepcomposer = pytest.mark.skipif(
    not deepcomposer_files(),
    reason="shared/testdata/deepcomposer/ is not beside the repository (<repo>/../shared)",
)


# ----- round trips -------------------------------------------------------------------


def test_it_round_trips_a_score_exactly(small_score: Score) -> None:
    assert score_from_midi(score_to_midi(small_score)) == small_score


def test_it_round_trips_through_a_file(small_score: Score, tmp_path: Path) -> None:
    path = tmp_path / "small.mid"
    write_midi_file(small_score, path)
    assert read_midi_file(path) == small_score


def test_it_keeps_an_empty_track_through_a_round_trip() -> None:
    score = Score([Track([Note(0, 60, 10)]), Track(program=5, name="silent")])
    assert score_from_midi(score_to_midi(score)) == score


def test_it_keeps_the_resolution_of_the_file() -> None:
    score = Score([Track([Note(7, 60, 13)])], resolution=96)
    assert score_from_midi(score_to_midi(score)).resolution == 96


def test_it_round_trips_overlapping_notes_of_one_pitch_in_order() -> None:
    # Starts and ends in the same order: first-in first-out pairing gives them back.
    score = Score([Track([Note(0, 60, 480), Note(240, 60, 480), Note(240, 60, 960)])])
    assert score_from_midi(score_to_midi(score)) == score


def test_it_writes_a_type_1_file_with_a_conductor_track_and_drums_on_channel_9(
    small_score: Score,
) -> None:
    midi = mido.MidiFile(file=io.BytesIO(score_to_midi(small_score)))
    assert midi.type == 1
    assert len(midi.tracks) == 4
    conductor = {m.type for m in midi.tracks[0]}
    assert {"track_name", "set_tempo", "time_signature"} <= conductor
    drum_channels = {m.channel for m in midi.tracks[3] if m.type in ("note_on", "program_change")}
    assert drum_channels == {9}
    programs = [m.program for t in midi.tracks[1:] for m in t if m.type == "program_change"]
    assert programs == [0, 33, 0]


def test_it_agrees_with_pretty_midi_on_note_times(small_score: Score) -> None:
    midi = pretty_midi.PrettyMIDI(io.BytesIO(score_to_midi(small_score)))
    for track, instrument in zip(small_score.tracks, midi.instruments, strict=True):
        ours = sorted(
            (round(small_score.ticks_to_seconds(n.start), 6), n.pitch, n.velocity)
            for n in track.notes
        )
        theirs = sorted((round(n.start, 6), n.pitch, n.velocity) for n in instrument.notes)
        assert ours == theirs
        assert instrument.is_drum == track.is_drum


def test_it_clamps_velocities_and_skips_zero_length_notes_when_writing() -> None:
    score = Score([Track([Note(0, 60, 10, velocity=0), Note(5, 62, 0), Note(0, 64, 10, 200)])])
    notes = score_from_midi(score_to_midi(score)).tracks[0].notes
    assert notes == [Note(0, 60, 10, 1), Note(0, 64, 10, 127)]


@pytest.mark.parametrize(
    "score",
    [
        Score([Track([Note(0, 128, 10)])]),
        Score([Track([Note(-1, 60, 10)])]),
        Score(resolution=0),
        Score(time_signature=(3, 5)),
        Score(tempo=0.0),
    ],
)
def test_it_refuses_to_write_what_midi_cannot_hold(score: Score) -> None:
    with pytest.raises(ValueError, match=r"MIDI|outside|positive"):
        score_to_midi(score)


# ----- DeepComposer's files ----------------------------------------------------------


@requires_deepcomposer
@pytest.mark.parametrize("path", deepcomposer_files(), ids=lambda p: p.name)
def test_it_reads_and_round_trips_every_deepcomposer_file(path: Path) -> None:
    data = path.read_bytes()
    score = score_from_midi(data, Limits())
    assert len(score.tracks) == 1
    assert score.tempo == pytest.approx(100.0)
    assert score.note_count > 40
    assert score_from_midi(score_to_midi(score)) == score


@requires_deepcomposer
@pytest.mark.parametrize("path", deepcomposer_files(), ids=lambda p: p.name)
def test_it_reads_the_same_notes_as_pretty_midi_from_deepcomposer_files(path: Path) -> None:
    data = path.read_bytes()
    score = score_from_midi(data)
    (instrument,) = pretty_midi.PrettyMIDI(io.BytesIO(data)).instruments
    seconds = score.ticks_to_seconds
    ours = sorted(
        (round(seconds(n.start), 6), n.pitch, round(seconds(n.end), 6), n.velocity)
        for n in score.tracks[0].notes
    )
    theirs = sorted(
        (round(n.start, 6), n.pitch, round(n.end, 6), n.velocity) for n in instrument.notes
    )
    assert ours == theirs


# ----- real-world files --------------------------------------------------------------


def music21_test_files() -> list[Path]:
    """The small MIDI files music21 (a project dependency) ships for its own tests."""
    import music21

    folder = Path(music21.__file__).parent / "midi" / "testPrimitive"
    return sorted(p for p in folder.glob("*.mid") if p.stat().st_size < 20_000)


@pytest.mark.parametrize("path", music21_test_files(), ids=lambda p: p.name)
def test_it_reads_the_same_notes_as_muspy_from_music21s_test_files(path: Path) -> None:
    # muspy pairs repeated notes first-in first-out too, so only its zero-length notes
    # (which we drop) may differ, and the lengths of notes under a sustain pedal, which
    # muspy ignores and we play out (longer, never shorter).
    import muspy

    score = read_midi_file(path)
    music = muspy.read_midi(path)
    ours = sorted((n.start, n.pitch, n.velocity, n.duration) for t in score.tracks for n in t.notes)
    theirs = sorted(
        (n.time, n.pitch, n.velocity, n.duration)
        for t in music.tracks
        for n in t.notes
        if n.duration
    )
    assert score.resolution == music.resolution
    assert [note[:3] for note in ours] == [note[:3] for note in theirs]
    assert all(a[3] >= b[3] for a, b in zip(ours, theirs, strict=True))
    if b"\xb0\x40" not in path.read_bytes() and b"\x40\x7f" not in path.read_bytes():
        assert ours == theirs  # no pedal: the same lengths too
    assert score_from_midi(score_to_midi(score)) == score


# ----- how events become notes -------------------------------------------------------


def notes_of(data: bytes, track: int = 0) -> list[Note]:
    return score_from_midi(data).tracks[track].notes


def test_it_treats_a_note_on_with_velocity_zero_as_a_note_off() -> None:
    data = smf(on(60, 90) + on(60, 0, delta=100) + END_OF_TRACK)
    assert notes_of(data) == [Note(0, 60, 100, 90)]


def test_it_reads_running_status() -> None:
    body = vlq(0) + bytes((0x90, 60, 90)) + vlq(10) + bytes((60, 0)) + vlq(0) + bytes((62, 70))
    body += vlq(20) + bytes((62, 0)) + END_OF_TRACK
    assert notes_of(smf(body)) == [Note(0, 60, 10, 90), Note(10, 62, 20, 70)]


def test_it_pairs_overlapping_notes_of_one_pitch_first_in_first_out() -> None:
    body = on(60, 90) + on(60, 70, delta=10) + off(60, delta=10) + off(60, delta=10)
    assert notes_of(smf(body + END_OF_TRACK)) == [Note(0, 60, 20, 90), Note(10, 60, 20, 70)]


def test_it_keeps_a_repeated_note_whose_on_comes_before_the_previous_off() -> None:
    # Some writers put the next note-on before the note-off at the same tick.
    body = on(60, 90) + on(60, 70, delta=100) + off(60) + off(60, delta=100)
    assert notes_of(smf(body + END_OF_TRACK)) == [Note(0, 60, 100, 90), Note(100, 60, 100, 70)]


def test_it_drops_zero_length_notes() -> None:
    body = on(60) + off(60) + on(62) + off(62, delta=5) + END_OF_TRACK
    assert notes_of(smf(body)) == [Note(0, 62, 5, 80)]


def test_it_ends_hanging_notes_at_the_end_of_the_track() -> None:
    body = on(60) + on(64, delta=10) + vlq(30) + b"\xff\x2f\x00"
    assert notes_of(smf(body)) == [Note(0, 60, 40, 80), Note(10, 64, 30, 80)]


def test_it_ignores_note_offs_without_a_sounding_note() -> None:
    body = off(61) + on(60) + off(60, delta=10) + off(60, delta=10) + END_OF_TRACK
    assert notes_of(smf(body)) == [Note(0, 60, 10, 80)]


def test_it_splits_a_type_0_file_into_one_track_per_channel() -> None:
    body = on(60, channel=0) + on(36, channel=9) + vlq(0) + bytes((0xC1, 40))
    body += on(72, channel=1) + off(60, delta=10) + off(36, channel=9) + off(72, channel=1)
    score = score_from_midi(smf(body + END_OF_TRACK, fmt=0))
    assert [(t.program, t.is_drum, t.notes[0].pitch) for t in score.tracks] == [
        (0, False, 60),
        (40, False, 72),
        (0, True, 36),
    ]
    assert score.title == ""


def test_it_reads_the_conductor_track_name_as_the_title() -> None:
    conductor = vlq(0) + b"\xff\x03\x05Title" + END_OF_TRACK
    part = vlq(0) + b"\xff\x03\x04Lead" + melody_track()
    score = score_from_midi(smf(conductor, part))
    assert (score.title, score.tracks[0].name) == ("Title", "Lead")


def test_it_keeps_the_first_tempo_and_time_signature() -> None:
    conductor = tempo_event(90) + vlq(0) + b"\xff\x58\x04\x06\x03\x18\x08"
    conductor += tempo_event(140, delta=960) + vlq(0) + b"\xff\x58\x04\x02\x02\x18\x08"
    score = score_from_midi(smf(conductor + END_OF_TRACK, melody_track()))
    assert score.tempo == pytest.approx(90)
    assert score.time_signature == (6, 8)


def test_it_takes_the_earliest_tempo_even_from_a_later_track() -> None:
    conductor = tempo_event(90, delta=480) + END_OF_TRACK
    part = tempo_event(150) + melody_track()
    assert score_from_midi(smf(conductor, part)).tempo == pytest.approx(150)


def test_it_keeps_the_tempo_in_effect_when_the_music_starts() -> None:
    # A setup tempo of 13 bpm, changed to 118 bpm one beat later, before the first note.
    conductor = tempo_event(13.3) + tempo_event(118, delta=480) + END_OF_TRACK
    part = on(60, delta=960) + off(60, delta=480) + END_OF_TRACK
    assert score_from_midi(smf(conductor, part)).tempo == pytest.approx(118, abs=0.01)


def test_tempo_changes_after_the_first_note_are_ignored() -> None:
    conductor = tempo_event(100) + tempo_event(60, delta=240) + END_OF_TRACK
    assert score_from_midi(smf(conductor, melody_track())).tempo == pytest.approx(100)


def test_it_defaults_to_120_bpm_and_four_four_without_meta_events() -> None:
    score = score_from_midi(smf(melody_track()))
    assert (score.tempo, score.time_signature) == (120.0, (4, 4))


def test_it_uses_the_last_program_change_before_the_first_note() -> None:
    body = vlq(0) + bytes((0xC0, 5)) + vlq(0) + bytes((0xC0, 6)) + melody_track()
    assert score_from_midi(smf(body)).tracks[0].program == 6


def test_it_ignores_program_changes_after_the_first_note_has_started() -> None:
    body = vlq(0) + bytes((0xC0, 5)) + on(60) + vlq(10) + bytes((0xC0, 6)) + off(60, delta=10)
    assert score_from_midi(smf(body + END_OF_TRACK)).tracks[0].program == 5


def test_it_falls_back_to_the_channel_program_set_in_another_track() -> None:
    conductor = vlq(0) + bytes((0xC0, 19)) + END_OF_TRACK
    score = score_from_midi(smf(conductor, melody_track()))
    assert [t.program for t in score.tracks] == [19]


def test_it_reads_a_midi_file_wrapped_in_riff_rmid() -> None:
    inner = smf(melody_track())
    payload = b"RMID" + b"data" + len(inner).to_bytes(4, "little") + inner
    wrapped = b"RIFF" + len(payload).to_bytes(4, "little") + payload
    assert score_from_midi(wrapped) == score_from_midi(inner)


def test_it_skips_unknown_chunks_between_tracks() -> None:
    inner = smf(melody_track())
    alien = b"XFIH" + (3).to_bytes(4, "big") + b"abc"
    data = inner[:14] + alien + inner[14:]
    assert score_from_midi(data) == score_from_midi(inner)


def test_it_applies_limits_only_when_given() -> None:
    data = smf(*(melody_track() for _ in range(20)))
    assert len(score_from_midi(data).tracks) == 20
    with pytest.raises(MidiValidationError):
        score_from_midi(data, Limits())


# ----- property: any valid Score survives --------------------------------------------


@st.composite
def scores(draw: st.DrawFn) -> Score:
    """Scores MIDI can hold exactly: notes of one pitch in a track never nest."""
    tracks = []
    for _ in range(draw(st.integers(0, 4))):
        raw = draw(
            st.lists(
                st.tuples(st.integers(0, 4000), st.integers(0, 127), st.integers(1, 2000)),
                max_size=30,
            )
        )
        last_end: dict[int, int] = {}
        notes = []
        for start, pitch, duration in sorted(raw):
            # Push the end past the previous same-pitch end, so starts and ends are in order.
            end = max(start + duration, last_end.get(pitch, 0))
            last_end[pitch] = end
            notes.append(Note(start, pitch, end - start, draw(st.integers(1, 127))))
        tracks.append(
            Track(
                sorted(notes),
                program=draw(st.integers(0, 127)),
                is_drum=draw(st.booleans()),
                name=draw(st.text(max_size=8)),
            )
        )
    numerator = draw(st.integers(1, 16))
    return Score(
        tracks,
        resolution=draw(st.integers(24, 1920)),
        tempo=60_000_000 / draw(st.integers(150_000, 3_000_000)),
        time_signature=(numerator, draw(st.sampled_from([2, 4, 8, 16]))),
        title=draw(st.text(max_size=8)),
    )


@settings(max_examples=150, deadline=None)
@given(scores())
def test_any_midi_compatible_score_round_trips_exactly(score: Score) -> None:
    assert score_from_midi(score_to_midi(score)) == score
