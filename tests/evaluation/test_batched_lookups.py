"""The copy check's batched forms give what the one-at-a-time forms give: every tonic's
tokens and grams at once, one sort of packed hits, prepared source voices, and a
verification that stops as soon as its decision is known."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.alignment import _best_placements, line_alignment, local_match, seeded
from evaluation.canonical import TONICS, slices, tokens, tonic_tokens
from evaluation.fingerprint import fingerprint
from evaluation.grams import pack, pack_rows
from evaluation.novelty import NoveltyIndex
from evaluation.postings import sorted_hits
from evaluation.redteam import attacks
from music import transforms
from music.score import Note, Score, Track
from tests.evaluation.builders import random_piece


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("outer", [False, True])
def test_every_tonics_tokens_at_once_are_each_tonics_tokens(seed: int, outer: bool) -> None:
    rng = np.random.default_rng(seed)
    piece = random_piece(seed)
    if seed % 2:
        piece = attacks.timing_jitter(piece, rng)  # uneven slice lengths
    cut = slices(piece)
    together = tonic_tokens(cut, outer=outer)
    for tonic in TONICS:
        values, first = tokens(cut, tonic, outer=outer)
        start, end = together.offsets[tonic], together.offsets[tonic + 1]
        np.testing.assert_array_equal(together.values[start:end], values)
        np.testing.assert_array_equal(together.first_of(tonic), first)


def test_a_single_chord_has_one_token_for_every_tonic() -> None:
    chord = Score(tracks=[Track([Note(0, p, 480, 80) for p in (60, 64, 67)])])
    together = tonic_tokens(slices(chord))
    assert np.diff(together.offsets).tolist() == [1] * len(TONICS)
    for tonic in TONICS:
        np.testing.assert_array_equal(together.first_of(tonic), [0, 1])


def test_grams_of_rows_are_each_rows_grams_and_never_span_two_rows() -> None:
    rng = np.random.default_rng(0)
    lengths = [5, 0, 2, 3, 9, 1, 4]  # rows shorter than a gram have none
    values = rng.integers(0, 1 << 9, size=sum(lengths))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    grams, starts = pack_rows(values, offsets, 3, 9)
    for row in range(len(lengths)):
        expected = pack(values[offsets[row] : offsets[row + 1]], 3, 9)
        np.testing.assert_array_equal(grams[starts[row] : starts[row + 1]], expected)
    assert starts[-1] == len(grams) == sum(max(0, n - 2) for n in lengths)


@pytest.mark.parametrize("spread", [50, 2**20])  # a packed key, and too wide to pack
def test_packed_hits_come_in_the_order_of_a_four_key_sort(spread: int) -> None:
    rng = np.random.default_rng(1)
    count = 500
    group = rng.integers(0, 12, count)
    at = rng.integers(0, spread, count)
    docs = rng.integers(0, spread, count)
    diagonal = rng.integers(-spread, spread, count)
    order = np.lexsort((at, diagonal, docs, group))
    got = sorted_hits(group, at, docs, diagonal)
    for mine, theirs in zip(got, (group, at, docs, diagonal), strict=True):
        np.testing.assert_array_equal(mine, theirs[order])


def test_a_prepared_source_voice_matches_as_the_voice_itself() -> None:
    rng = np.random.default_rng(2)
    lines = [line for seed in range(8) for line in fingerprint(random_piece(seed)).lines]
    copy = np.concatenate([lines[0][3:30], lines[5][:20]])  # an excerpt, then other music
    pairs = [(copy, lines[0]), (copy, lines[5]), (lines[1], lines[1]), (lines[2], lines[9])]
    pairs += [(lines[i], lines[j]) for i, j in rng.integers(0, len(lines), (20, 2))]
    for a, b in pairs:
        exact = local_match(a, b)
        assert local_match(a, seeded(b)) == exact
        for level in (12, 24, 32):  # asked only whether it reaches a level
            quick = local_match(a, seeded(b), level)
            assert (quick >= level) == (exact >= level)
            assert quick >= exact or quick >= level  # below the level: an upper bound
    assert local_match(copy, seeded(lines[0])) >= 24


def test_an_alignment_asked_to_reach_a_level_is_exact_or_surely_below_it() -> None:
    lines = [line for seed in range(10) for line in fingerprint(random_piece(seed)).lines]
    lines += [np.clip(line.astype(np.int64) - 40, 0, 127).astype(np.uint8) for line in lines[:6]]
    skipped = 0
    for a in lines:
        for b in lines[::3]:
            exact = line_alignment(a, b)
            for level in (0.5, 0.85):
                quick = line_alignment(a, b, level)
                if quick != exact:
                    assert quick == 0.0
                    assert exact < level
                    skipped += 1
    assert skipped  # the bound does spare some LCS
    assert line_alignment(lines[0], lines[0], 0.85) == 1.0


def test_each_window_takes_its_most_voted_placement_the_smallest_on_a_tie() -> None:
    window = np.array([0, 0, 0, 0, 1, 1, 1, 2])
    diagonal = np.array([3, 3, -2, -2, 5, 4, 4, 7])
    shift = np.array([1, 1, 0, 0, 0, 2, 2, -3])
    windows, diagonals, shifts = _best_placements(window, diagonal, shift)
    assert windows == [0, 1, 2]
    assert diagonals == [-2, 4, 7]  # window 0: two placements with two votes each
    assert shifts == [0, 2, -3]


def test_stopping_verification_early_never_changes_whether_a_piece_copies() -> None:
    """``voice_copy`` stops each source's check once its decision is known; checking
    every voice in full (as calibration does) must reach the same decisions."""
    pieces = [random_piece(seed) for seed in range(12)]
    index = NoveltyIndex()
    for i, piece in enumerate(pieces):
        index.add(f"ref-{i}", fingerprint(piece))
    rng = np.random.default_rng(3)
    queries = [
        pieces[0],  # a whole copy
        transforms.concatenate([pieces[1], random_piece(102)]),  # the local rule
        transforms.concatenate([pieces[2], pieces[2]]),  # played twice
        attacks.wrong_notes(0.2)(pieces[3], rng),
        random_piece(100),  # new music
        random_piece(101),
    ]
    decided = []
    for query in queries:
        print_ = fingerprint(query)
        quick = index.voice_copy(print_)
        full = [
            m for m in index.copy_candidates(print_) if m.copied_fraction >= index.piece_threshold
        ]
        assert (quick is None) == (not full)
        if quick is not None:
            assert quick.source == full[0].source
            assert quick.copied_fraction == full[0].copied_fraction
        decided.append(quick is not None)
    assert decided[:3] == [True, True, True]
    assert decided[4:] == [False, False]
