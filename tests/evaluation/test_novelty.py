"""The novelty index flags copies of every kind and leaves different music alone."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from evaluation.alignment import lcs_length, line_alignment
from evaluation.fingerprint import Fingerprint, fingerprint, voice_grams, voice_lines
from evaluation.novelty import NoveltyIndex, copy_strength
from evaluation.novelty_calibration import COPY_KINDS, calibrate
from music import transforms
from music.score import Note, Score, Track
from tests.evaluation.builders import random_piece


@pytest.fixture(scope="module")
def index() -> NoveltyIndex:
    built = NoveltyIndex()
    for seed in range(60):
        built.add(f"ref-{seed}", fingerprint(random_piece(seed)))
    return built


def reinstrument(score: Score) -> Score:
    return replace(score, tracks=[replace(t, program=40 + i) for i, t in enumerate(score.tracks)])


def reorder(score: Score) -> Score:
    return replace(score, tracks=list(reversed(score.tracks)))


COPIES = {
    "verbatim": lambda s: s,
    "transposed": lambda s: transforms.transpose(s, 5),
    "time-stretched": lambda s: transforms.time_stretch(s, 1.5),
    # 0.75 of a 120-tick sixteenth is 90 ticks, but of a 45-tick one (below) 33.75:
    # onsets round to whole ticks, which must not matter.
    "time-stretched on a coarse grid": lambda s: transforms.time_stretch(
        transforms.rescale(s, 36), 0.75
    ),
    "re-instrumented": reinstrument,
    "tracks reordered": reorder,
    "10% of notes dropped": lambda s: transforms.drop_notes(s, 0.1, seed=3),
    "all at once": lambda s: transforms.drop_notes(
        reorder(transforms.time_stretch(transforms.transpose(s, -3), 0.75)), 0.1, seed=4
    ),
}


@pytest.mark.parametrize("kind", COPIES)
def test_it_flags_a_copy_and_names_its_source(index: NoveltyIndex, kind: str) -> None:
    copy = COPIES[kind](random_piece(17))
    match = index.find_copy(fingerprint(copy))
    assert match is not None
    assert match.source == "ref-17"
    assert match.copied_fraction >= 0.75


def test_it_does_not_flag_new_music(index: NoveltyIndex) -> None:
    for seed in range(1000, 1030):
        assert index.find_copy(fingerprint(random_piece(seed))) is None


def test_two_accompaniments_of_the_same_melody_are_not_copies_of_each_other() -> None:
    melody = random_piece(5, voices=1).tracks[0]
    first = random_piece(6)
    second = random_piece(7)
    entry_a = replace(first, tracks=[melody, *first.tracks[1:]])
    entry_b = replace(second, tracks=[melody, *second.tracks[1:]])
    index = NoveltyIndex()
    index.add("entry-a", fingerprint(entry_a))
    assert index.find_copy(fingerprint(entry_b)) is None
    # ...but the melody alone, submitted as is, copies it.
    match = index.find_copy(fingerprint(replace(first, tracks=[melody])))
    assert match is not None
    assert match.source == "entry-a"


def test_entries_appended_later_are_found(index: NoveltyIndex) -> None:
    entry = random_piece(4242)
    index.add("entry-4242", fingerprint(entry))
    match = index.find_copy(fingerprint(transforms.transpose(entry, 2)))
    assert match is not None
    assert match.source == "entry-4242"
    assert index.find_copy(fingerprint(entry), exclude=["entry-4242"]) is None


def test_adding_a_source_twice_changes_nothing() -> None:
    index = NoveltyIndex()
    print_ = fingerprint(random_piece(1))
    index.add("a", print_)
    index.add("a", print_)
    assert len(index) == 1


def test_voices_split_a_chordal_track_into_top_and_bottom_lines() -> None:
    chords = Track(
        notes=[Note(0, 60, 480), Note(0, 64, 480), Note(480, 62, 480), Note(480, 67, 480)]
    )
    lines = voice_lines(Score(tracks=[chords]))
    assert [list(p) for _, p in lines] == [[64, 67], [60, 62]]


def test_a_voice_too_short_for_one_gram_has_none() -> None:
    assert len(voice_grams(np.arange(6), np.arange(60, 66))) == 0
    assert len(voice_grams(np.arange(7) * 100, np.arange(60, 67))) == 1


def test_grams_ignore_transposition_and_tempo() -> None:
    onsets = np.array([0, 240, 480, 960, 1200, 1440, 1920, 2400])
    pitches = np.array([60, 62, 64, 62, 60, 67, 65, 64])
    base = voice_grams(onsets, pitches)
    assert np.array_equal(base, voice_grams(onsets * 3, pitches + 7))
    assert np.array_equal(base, voice_grams(np.rint(onsets * 0.7).astype(np.int64), pitches))
    assert not np.array_equal(base, voice_grams(onsets, pitches[::-1]))


def _lcs_table(a: list[int], b: list[int]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, j in itertools.product(range(len(a)), range(len(b))):
        same = table[i][j] + 1 if a[i] == b[j] else 0
        table[i + 1][j + 1] = max(same, table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def test_the_bit_parallel_lcs_is_the_textbook_one() -> None:
    rng = random.Random(0)
    for _ in range(200):
        a = [rng.randint(0, 3) for _ in range(rng.randint(0, 30))]
        b = [rng.randint(0, 3) for _ in range(rng.randint(0, 30))]
        assert lcs_length(a, b) == _lcs_table(a, b)
    assert lcs_length([1, 2, 3, 4], [9, 2, 4]) == 2


def test_voices_align_through_transposition_and_dropped_notes() -> None:
    tune = np.array([60, 62, 64, 65, 67, 65, 64, 62, 60, 60, 62, 64, 65, 67], dtype=np.uint8)
    assert line_alignment(tune + 5, tune) == 1.0
    dropped = np.delete(tune, [3, 9])
    assert line_alignment(dropped, tune) == pytest.approx(2 * 12 / 26)
    other = np.array([72, 71, 69, 67, 72, 64, 62, 60, 59, 57, 55, 53, 52, 50], dtype=np.uint8)
    assert line_alignment(other, tune) < 0.6


def test_copy_strength_is_the_threshold_at_which_half_the_voices_still_match() -> None:
    assert copy_strength([0.9, 0.2, 0.95, 0.4]) == 0.9
    assert copy_strength([0.7]) == 0.7
    assert copy_strength([]) == 0.0


def test_a_tune_with_a_few_notes_changed_is_not_a_copy_below_the_threshold() -> None:
    piece = random_piece(11, voices=1)
    notes = piece.tracks[0].notes
    # A fourth up: a semitone is no change at all to coverage, which folds a semitone
    # step within a degree (major and minor are one tune to it).
    changed = [replace(n, pitch=n.pitch + 5) if i % 4 == 0 else n for i, n in enumerate(notes)]
    variant = replace(piece, tracks=[replace(piece.tracks[0], notes=changed)])
    index = NoveltyIndex(alignment_threshold=0.85)
    index.add("tune", fingerprint(piece))
    assert index.find_copy(fingerprint(variant)) is None
    assert index.find_copy(fingerprint(transforms.drop_notes(piece, 0.1, seed=1))) is not None


def test_the_threshold_is_chosen_between_copies_and_real_pieces() -> None:
    index = NoveltyIndex()
    pieces = [(f"ref-{seed}", random_piece(seed)) for seed in range(30)]
    for source, score in pieces:
        index.add(source, fingerprint(score))
    measured = calibrate(index, pieces[:12])
    assert set(measured["validation_copy_recall"]) == set(COPY_KINDS)  # type: ignore[call-overload]
    assert measured["most_copy_like_real"] < index.alignment_threshold  # type: ignore[operator]
    assert index.alignment_threshold < measured["weakest_copies"]  # type: ignore[operator]


def test_a_fingerprint_of_the_old_format_matches_nothing(index: NoveltyIndex) -> None:
    import io

    buffer = io.BytesIO()
    np.savez_compressed(buffer, *fingerprint(random_piece(17)).voices)
    old = Fingerprint.from_bytes(buffer.getvalue())
    assert old.voices == ()
    assert index.find_copy(old) is None


def test_sources_indexed_without_pitches_are_decided_by_grams_alone() -> None:
    piece = random_piece(21)
    index = NoveltyIndex()
    index.add("entries", Fingerprint(fingerprint(piece).voices))  # as the service does
    match = index.find_copy(fingerprint(transforms.transpose(piece, 3)))
    assert match is not None
    assert match.alignments == ()


def test_fingerprints_and_indexes_survive_a_round_trip(index: NoveltyIndex, tmp_path: Path) -> None:
    print_ = fingerprint(random_piece(3))
    again = Fingerprint.from_bytes(print_.to_bytes())
    assert all(np.array_equal(a, b) for a, b in zip(print_.voices, again.voices, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(print_.lines, again.lines, strict=True))
    assert len(again.lines) == len(print_.lines) > 0
    path = tmp_path / "novelty.npz"
    index.save(path)
    loaded = NoveltyIndex.load(path)
    assert loaded.sources == index.sources
    assert loaded.query(print_) == index.query(print_)
    copy = fingerprint(transforms.drop_notes(random_piece(3), 0.1, seed=2))
    assert loaded.find_copy(copy) == index.find_copy(copy)


def test_an_empty_piece_matches_nothing(index: NoveltyIndex) -> None:
    assert index.query(fingerprint(Score())) == []
