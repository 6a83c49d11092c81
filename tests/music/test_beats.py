"""A played piece is written out on its own beat; a written one is left alone.

The played pieces here are made as a MIDI keyboard records a player who ignores the
click (:func:`evaluation.redteam.attacks.played_in`): their own tempo, breathing, notes
early and late, saved at 120 bpm. Nothing of them lies on the file's beats."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from evaluation.redteam.attacks import played_in
from music.beats import bar_phase, follow_beat
from music.canonical import canonical_form
from music.score import Note, Score, Track
from tests.music.builders import performed, two_voices

RES = 480


def written_positions(score: Score) -> np.ndarray:
    """Every note's start in quarter notes, track by track, in note order."""
    return np.concatenate([[n.start for n in t.notes] for t in score.tracks]) / score.resolution


def share_in_place(written: Score, read: Score, scale: float = 1.0) -> float:
    """The share of notes that ``read`` puts where ``written`` has them (to a 16th's
    half), once both start together: ``scale`` quarter notes of ``read`` a quarter."""
    a, b = written_positions(written), written_positions(read) / scale
    offset = np.median(b - a)
    return float(np.mean(np.abs(b - a - offset) < 0.13))


def test_a_written_piece_is_the_same_object() -> None:
    piece = two_voices(seed=1)
    assert follow_beat(piece) is piece
    assert canonical_form(piece) is piece


def test_a_quantised_file_at_an_odd_resolution_is_written() -> None:
    # Triplets at 1000 ticks a beat are stored a tick off (333, 667): still written.
    notes = [Note(i * 1000 + t, 60 + i % 5, 300) for i in range(16) for t in (0, 333, 667)]
    piece = Score([Track(notes)], resolution=1000)
    assert follow_beat(piece) is piece


@pytest.mark.parametrize("bpm", [60.0, 72.0, 90.0, 110.0])
def test_a_piece_played_without_the_click_is_written_out_on_its_beat(bpm: float) -> None:
    piece = two_voices(seed=2)
    played = played_in(piece, np.random.default_rng(3), bpm=bpm)
    assert share_in_place(piece, played) < 0.5  # the file's beats are not the music's
    read = follow_beat(played)
    assert read is not played
    assert share_in_place(piece, read) >= 0.9
    assert read.resolution == RES
    assert read.tempo == pytest.approx(bpm, rel=0.1)


def test_a_steady_performance_half_a_beat_late_is_put_back_on_the_beat() -> None:
    piece = two_voices(seed=4)
    played = played_in(piece, np.random.default_rng(5), bpm=120.0, breathing=0.0, lead=0.25)
    read = follow_beat(played)
    assert share_in_place(piece, read) >= 0.9
    # The beats fall on the beats: the long notes start on whole quarter notes.
    starts = written_positions(read)
    long = np.concatenate([[n.duration >= RES for n in t.notes] for t in read.tracks])
    assert np.mean(np.abs(starts[long] - np.round(starts[long])) < 0.1) >= 0.9


def test_a_performance_in_time_with_its_click_keeps_its_notation() -> None:
    piece = two_voices(seed=6)
    rng = np.random.default_rng(7)

    def nudge(note: Note) -> Note:
        return replace(note, start=max(0, note.start + int(rng.integers(-12, 13))))

    played = replace(
        piece, tracks=[replace(t, notes=[nudge(n) for n in t.notes]) for t in piece.tracks]
    )
    assert follow_beat(played) is played


def test_a_compound_meter_is_read_in_dotted_quarters() -> None:
    piece = two_voices(seed=8, meter=(6, 8))
    played = played_in(piece, np.random.default_rng(9), bpm=75.0)
    read = follow_beat(played)
    assert read.time_signature == (6, 8)
    assert share_in_place(piece, read) >= 0.9


def test_what_a_beat_is_follows_the_reference_music() -> None:
    # The same recording read against music that moves in eighths and in half notes:
    # the notes come out twice as long against the second.
    piece = two_voices(seed=10)
    played = played_in(piece, np.random.default_rng(11), bpm=80.0)
    eighths, halves = follow_beat(played, onset_gap=0.6), follow_beat(played, onset_gap=1.5)
    assert share_in_place(piece, eighths) >= 0.9
    assert share_in_place(piece, halves, scale=2.0) >= 0.9


def test_an_upbeat_is_found_from_where_the_long_notes_fall() -> None:
    # Long notes every four beats, starting on the second beat of the reading: one beat
    # of rest goes before them... three, in a 4/4 bar, puts them on the downbeats.
    starts = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    lengths = np.array([3.0, 0.5, 0.5, 0.5, 3.0, 0.5, 0.5, 0.5, 3.0])
    positions = np.stack([starts, starts + lengths], axis=1)
    assert bar_phase(positions, (4, 4), 1.0) == 3
    assert bar_phase(positions - 1.0, (4, 4), 1.0) == 0


@pytest.mark.parametrize("seed", range(5))
def test_noise_keeps_every_note_and_its_pitch(seed: int) -> None:
    # A tracker finds some beat even in random onsets; the notes stay the notes.
    rng = np.random.default_rng(seed)
    notes = [
        Note(int(rng.integers(0, 64 * RES)), int(rng.integers(50, 80)), int(rng.integers(40, 900)))
        for _ in range(150)
    ]
    noise = Score([Track(sorted(notes))], resolution=RES)
    read = follow_beat(noise)
    assert sorted(n.pitch for n in read.all_notes()) == sorted(n.pitch for n in notes)
    assert all(n.start >= 0 and n.duration >= 1 for n in read.all_notes())


@pytest.mark.parametrize(
    "notes",
    [
        [],
        [Note(7, 60, 100)],
        [Note(7 + 101 * i, 60, 90) for i in range(5)],  # too few onsets to carry a beat
        [Note(13, 60 + i, 500) for i in range(12)],  # one chord
        [Note(5 * i, 60 + i, 900) for i in range(12)],  # one chord, rolled
        [Note(7, 60, 90), *[Note(10**9 + 7 + 101 * i, 60, 90) for i in range(12)]],  # hours
    ],
    ids=["empty", "one note", "five notes", "one chord", "a rolled chord", "hours apart"],
)
def test_what_carries_no_beat_is_left_alone(notes: list[Note]) -> None:
    score = Score([Track(notes)], resolution=RES)
    assert follow_beat(score) is score


def test_drums_alone_are_followed_without_error() -> None:
    rng = np.random.default_rng(12)
    hits = [Note(int(i * 331 + rng.integers(0, 40)), 36, 60) for i in range(40)]
    score = Score([Track(hits, is_drum=True)], resolution=RES)
    read = follow_beat(score)
    assert sum(len(t.notes) for t in read.tracks) == 40


def test_the_reading_is_deterministic() -> None:
    played = played_in(two_voices(seed=13), np.random.default_rng(14), bpm=70.0)
    assert follow_beat(played) == follow_beat(played)


def test_a_performance_saved_at_96_ticks_a_beat_is_followed() -> None:
    """At 96 ticks a beat a written position comes every 4 ticks; a tick of slack would
    have passed three played starts in four as written, and kept the file's grid."""
    written = two_voices(4)
    played = performed(written, seed=4, bpm=72, resolution=96)
    read = follow_beat(played)
    assert read is not played
    assert share_in_place(written, read) >= 0.9
