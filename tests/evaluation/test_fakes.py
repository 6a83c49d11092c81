"""Fake families for the critics: each keeps the piece's frame and breaks what it claims."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from evaluation import fakes
from evaluation.fakes import DEGENERATE, FAMILIES, make_fake, register_family
from music.score import Note, Score
from tests.evaluation.builders import C_MAJOR, RES, build, chorale, melody


def notes_of(score: Score) -> list[Note]:
    return score.all_notes()


def pitch_classes(score: Score) -> set[int]:
    return {n.pitch % 12 for n in notes_of(score)}


@pytest.fixture
def real() -> Score:
    return chorale()


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_keeps_the_frame_of_the_piece(family, real):
    fake = make_fake(family, real, np.random.default_rng(1))
    assert (fake.resolution, fake.tempo, fake.time_signature) == (RES, 96.0, (4, 4))
    assert [(t.program, t.is_drum, t.name) for t in fake.tracks] == [
        (t.program, t.is_drum, t.name) for t in real.tracks
    ]
    assert abs(fake.end_tick - real.end_tick) <= RES // 3 + 1
    for track in fake.tracks:
        assert track.notes == sorted(track.notes)
        assert all(0 <= n.pitch <= 127 and n.duration >= 1 and n.start >= 0 for n in track.notes)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_is_repeatable_and_leaves_its_input_alone(family, real):
    before = real.copy()
    first = make_fake(family, real, np.random.default_rng(5))
    second = make_fake(family, real, np.random.default_rng(5))
    assert first == second
    assert real == before


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_copes_with_empty_and_tiny_pieces(family):
    for score in (Score(), build(melody([60])), build(melody([60, 64], beats=0.5))):
        fake = make_fake(family, score, np.random.default_rng(0))
        assert fake.resolution == score.resolution


@pytest.mark.parametrize("family", DEGENERATE)
def test_degenerate_families_keep_the_drums(family, real):
    fake = make_fake(family, real, np.random.default_rng(2))
    assert fake.tracks[-1] == real.tracks[-1]


def test_a_cluster_sounds_at_least_16_adjacent_semitones_together(real):
    for seed in range(10):
        fake = fakes.cluster(real, np.random.default_rng(seed))
        by_start = Counter(n.start for n in notes_of(fake))
        start = by_start.most_common(1)[0][0]
        pitches = sorted(n.pitch for n in notes_of(fake) if n.start == start)
        assert len(pitches) >= 16
        assert pitches == list(range(pitches[0], pitches[0] + len(pitches)))


def test_sustained_chords_are_triads_held_for_whole_bars(real):
    for seed in range(10):
        fake = fakes.sustained_chords(real, np.random.default_rng(seed))
        for start in {n.start for n in notes_of(fake)}:
            chord = [n for n in notes_of(fake) if n.start == start]
            assert len({n.pitch % 12 for n in chord}) == 3
            assert start % real.ticks_per_bar == 0
            assert all(n.duration >= real.ticks_per_bar or n.end == real.end_tick for n in chord)


def test_repeated_note_plays_one_pitch_only(real):
    for seed in range(10):
        fake = fakes.repeated_note(real, np.random.default_rng(seed))
        assert len({n.pitch for n in notes_of(fake)}) == 1
        assert len(notes_of(fake)) > 1


def test_near_empty_keeps_a_handful_of_the_pieces_notes_and_its_length(real):
    for seed in range(10):
        fake = fakes.near_empty(real, np.random.default_rng(seed))
        for kept, original in zip(fake.tracks[:4], real.tracks[:4], strict=True):
            assert set(kept.notes) <= set(original.notes)
        assert 1 <= len(notes_of(fake)) <= 8
        assert fake.end_tick == real.end_tick


def test_random_notes_keep_the_density_and_register_but_not_the_notes(real):
    fake = fakes.random_notes(real, np.random.default_rng(3))
    ours, theirs = notes_of(fake), notes_of(real)
    assert len(ours) == len(theirs)
    assert min(n.pitch for n in ours) >= min(n.pitch for n in theirs)
    assert max(n.pitch for n in ours) <= max(n.pitch for n in theirs)
    assert pitch_classes(fake) - C_MAJOR  # uniform pitches leave the key
    assert len(set(ours) & set(theirs)) < len(theirs) // 10


def test_pitch_shuffled_keeps_each_tracks_rhythm_and_pitches(real):
    fake = fakes.pitch_shuffled(real, np.random.default_rng(4))
    for shuffled, original in zip(fake.tracks, real.tracks, strict=True):
        assert Counter((n.start, n.duration) for n in shuffled.notes) == Counter(
            (n.start, n.duration) for n in original.notes
        )
        assert Counter(n.pitch for n in shuffled.notes) == Counter(n.pitch for n in original.notes)
    assert fake != real


def test_time_reversed_twice_is_the_piece(real):
    once = fakes.time_reversed(real, np.random.default_rng(0))
    assert once != real
    assert once.end_tick == real.end_tick
    assert fakes.time_reversed(once, np.random.default_rng(0)) == real


def test_time_reversed_keeps_an_opening_rest():
    score = build(melody([60, 62, 67], start=3))
    once = fakes.time_reversed(score, np.random.default_rng(0))
    assert [(n.start, n.pitch) for n in notes_of(once)] == [
        (3 * 480, 67),
        (4 * 480, 62),
        (5 * 480, 60),
    ]


def test_out_of_key_moves_some_parts_but_not_all_off_the_key(real):
    for seed in range(10):
        fake = fakes.out_of_key(real, np.random.default_rng(seed))
        changed = [f != r for f, r in zip(fake.tracks[:4], real.tracks[:4], strict=True)]
        assert 1 <= sum(changed) <= 3
        assert pitch_classes(fake) - C_MAJOR
        for moved, original in zip(fake.tracks, real.tracks, strict=True):
            steps = {
                (m.pitch - o.pitch) % 12 for m, o in zip(moved.notes, original.notes, strict=True)
            }
            assert steps <= {0} or (len(steps) == 1 and steps <= {1, 6, 11})
            assert [(n.start, n.duration) for n in moved.notes] == [
                (n.start, n.duration) for n in original.notes
            ]


def test_out_of_key_moves_part_of_a_single_line():
    line = build(melody([60, 62, 64, 65, 67, 69, 71, 72] * 2))
    fake = fakes.out_of_key(line, np.random.default_rng(0))
    moved = [a != b for a, b in zip(notes_of(fake), notes_of(line), strict=True)]
    assert any(moved)
    assert not all(moved)
    assert pitch_classes(fake) - C_MAJOR


def test_rhythm_jittered_moves_every_onset_off_the_sixteenth_grid(real):
    fake = fakes.rhythm_jittered(real, np.random.default_rng(6))
    sixteenth = RES // 4
    assert all(n.start % sixteenth for n in notes_of(fake))
    for moved, original in zip(fake.tracks, real.tracks, strict=True):
        assert len(moved.notes) == len(original.notes)
        originals = sorted(n.start for n in original.notes)
        shifts = np.abs(np.array(sorted(n.start for n in moved.notes)) - originals)
        assert shifts.max() <= RES // 3 + 1 + RES // 8  # sorting may pair neighbours


def test_make_fake_refuses_an_unknown_family(real):
    with pytest.raises(ValueError, match="unknown fake family 'gan'"):
        make_fake("gan", real, np.random.default_rng(0))


def test_new_families_can_be_registered_once(real, monkeypatch):
    monkeypatch.setattr(fakes, "FAMILIES", dict(FAMILIES))

    def silence(score: Score, rng: np.random.Generator) -> Score:
        return replace(score, tracks=[replace(t, notes=[]) for t in score.tracks])

    register_family("silence", silence)
    assert make_fake("silence", real, np.random.default_rng(0)).note_count == 0
    with pytest.raises(ValueError, match="already registered"):
        register_family("silence", silence)
    assert "silence" not in FAMILIES


def test_degenerate_families_are_registered():
    assert set(DEGENERATE) <= set(FAMILIES)


def test_a_strong_harmonisation_keeps_the_top_voice_and_is_not_a_default_family(real):
    fake = fakes.strong_harmonisation(real, np.random.default_rng(3))
    top = int(np.argmax([np.mean([n.pitch for n in t.notes]) for t in real.tracks[:4]]))
    assert fake.tracks[top].notes == real.tracks[top].notes  # the fixture's top part is last
    assert all(fake.tracks[i].notes != real.tracks[i].notes for i in range(4) if i != top)
    assert fake.tracks[-1] == real.tracks[-1]  # the drums stay
    assert "strong_harmonisation" in FAMILIES
    assert "strong_harmonisation" not in fakes.BUILTIN
    assert "strong_harmonisation" in fakes.TRAINING
