"""A piece played in without the click, written out for the studio (music.played).

The performances come from ``tests.music.builders.performed``, a model of its own (a
random-walk tempo, saved at 96 ticks a beat), not the red team's ``played_in``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from music import catalogue
from music.midi_io import score_from_midi
from music.played import at_tapped_tempo, in_three_if_heard, triple_meter, written_out
from music.score import Note, Score, Track
from tests.music.builders import performed, two_voices

DEEPCOMPOSER = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "deepcomposer"
SAMPLES = [sample.slug for sample in catalogue.list_samples()]


def starts(score: Score) -> np.ndarray:
    """Every note's start, track by track, in quarter notes from the piece's first."""
    ticks = np.array([n.start for t in score.tracks for n in t.notes], dtype=float)
    return (ticks - ticks.min()) / score.resolution


def rhythm_kept(written: Score, read: Score) -> float:
    """The share of ``written``'s notes that start at the same place in ``read``, in
    quarter notes from the first note."""
    return float(np.mean(np.abs(starts(written) - starts(read)) < 0.01))


def test_every_sample_melody_is_kept_as_the_same_object() -> None:
    for slug in SAMPLES:
        score = catalogue.load_sample(slug)
        reading = written_out(score)
        assert reading.score is score, slug
        assert not reading.changed


@pytest.mark.skipif(not DEEPCOMPOSER.is_dir(), reason="DeepComposer's files are not here")
def test_deepcomposers_quantised_inputs_are_kept() -> None:
    files = sorted(DEEPCOMPOSER.glob("*.mid"))
    assert files
    for path in files:
        score = score_from_midi(path.read_bytes())
        assert written_out(score).score is score, path.name


@pytest.mark.parametrize("slug", SAMPLES)
def test_a_sample_melody_played_without_the_click_is_written_as_it_was(slug: str) -> None:
    written = catalogue.load_sample(slug)
    bpm = 66 + 30 * SAMPLES.index(slug) / len(SAMPLES)
    reading = written_out(performed(written, seed=SAMPLES.index(slug), bpm=bpm))
    assert reading.changed
    assert rhythm_kept(written, reading.score) >= 0.9
    # The beat a listener taps, not a half or a double of it (the player's tempo
    # wanders by up to 12 %).
    assert reading.tempo == pytest.approx(bpm, rel=0.15)
    # Every note kept, with its pitch and velocity, in its track.
    for before, after in zip(written.tracks, reading.score.tracks, strict=True):
        assert [(n.pitch, n.velocity) for n in before.notes] == [
            (n.pitch, n.velocity) for n in after.notes
        ]
        assert (after.program, after.name) == (before.program, before.name)


def test_a_file_at_96_ticks_a_beat_is_not_mistaken_for_a_written_one() -> None:
    """At 96 ticks a beat a written position comes every 4 ticks: with a tick of slack,
    three played starts in four would pass as written."""
    written = two_voices(3)
    played = performed(written, seed=3, bpm=75, resolution=96)
    reading = written_out(played)
    assert reading.changed
    assert rhythm_kept(written, reading.score) >= 0.95


def test_a_steady_performance_sounds_as_it_was_played() -> None:
    """Written out, each note of a performance at a steady tempo starts within 30 ms of
    where it was played (the snap to the grid moves it by the player's error, no more).
    A wandering tempo is written out at its median: a file holds one tempo."""
    written = two_voices(5)
    played = performed(written, seed=5, bpm=84, wander=0.0)
    read = written_out(played).score
    lead = min(n.start for t in played.tracks for n in t.notes) * played.seconds_per_tick
    first = min(n.start for t in read.tracks for n in t.notes) * read.seconds_per_tick
    for before, after in zip(played.tracks, read.tracks, strict=True):
        for a, b in zip(before.notes, after.notes, strict=True):
            was = a.start * played.seconds_per_tick - lead
            now = b.start * read.seconds_per_tick - first
            # The beat is measured in 20 ms frames: its period is off by well under 1 %.
            assert now == pytest.approx(was, abs=0.03 + 0.01 * was)


def test_a_slow_reading_gets_note_values_a_person_would_write() -> None:
    score = Score([Track([Note(0, 60, 480), Note(480, 62, 240)])], resolution=480, tempo=40.0)
    doubled = at_tapped_tempo(score)
    assert (doubled.resolution, doubled.tempo) == (240, 80.0)
    assert doubled.tracks is score.tracks  # not a tick moves
    assert doubled.duration_seconds == pytest.approx(score.duration_seconds)
    fast = replace(score, tempo=260.0)
    assert (at_tapped_tempo(fast).resolution, at_tapped_tempo(fast).tempo) == (960, 130.0)
    steady = replace(score, tempo=90.0)
    assert at_tapped_tempo(steady) is steady


def waltz(bars: int = 12) -> Score:
    """A tune in 3/4, a half note and a quarter a bar, written in 4/4 as a sequencer
    saves it (its bar lines every four beats)."""
    notes, time = [], 480  # an upbeat of a beat
    notes.append(Note(0, 67, 480))
    for bar in range(bars):
        notes.append(Note(time, 60 + (bar * 2) % 7, 960))
        notes.append(Note(time + 960, 64 + bar % 3, 480))
        time += 1440
    return Score([Track(notes)], resolution=480, time_signature=(4, 4))


def test_a_tune_in_three_is_barred_in_three_on_its_long_notes() -> None:
    score = waltz()
    assert triple_meter(score)
    three = in_three_if_heard(score)
    assert three.time_signature == (3, 4)
    bar = three.ticks_per_bar
    starts = [n.start for n in three.tracks[0].notes]
    assert all(start % bar == 0 for start in starts[1::2])  # the half notes on the downbeat
    assert starts[0] % bar == 2 * 480  # the upbeat, on the third beat
    assert [n.pitch for n in three.tracks[0].notes] == [n.pitch for n in score.tracks[0].notes]


def test_a_tune_in_four_stays_in_four() -> None:
    score = two_voices(2, bars=16)
    assert not triple_meter(score)
    assert in_three_if_heard(score) is score
    assert in_three_if_heard(replace(waltz(), time_signature=(6, 8))).time_signature == (6, 8)


def test_a_waltz_played_in_comes_out_in_three() -> None:
    played = performed(waltz(16), seed=1, bpm=90)
    reading = written_out(played)
    assert reading.score.time_signature == (3, 4)
    assert rhythm_kept(waltz(16), reading.score) >= 0.95


def test_the_reading_is_deterministic() -> None:
    played = performed(two_voices(7), seed=7, bpm=70)
    assert written_out(played).score == written_out(played).score
