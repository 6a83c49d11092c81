"""Coverage sees the music through its layout: disguised copies, centos and shuffled bars
are covered; new music and other layouts of nothing copied are not."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from evaluation.canonical import Slices, join_slices, slices, tokens
from evaluation.coverage import CoverageIndex
from evaluation.fingerprint import Fingerprint, fingerprint
from evaluation.novelty import NoveltyIndex
from evaluation.redteam import attacks
from music import transforms
from music.score import Note, Score, Track
from tests.evaluation.builders import random_piece

# Bars of 4 beats at 480 ticks: random_piece's voices are 40 notes of 1/4 to 2 beats.


@pytest.fixture(scope="module")
def pieces() -> list[Score]:
    return [random_piece(seed) for seed in range(40)]


@pytest.fixture(scope="module")
def index(pieces: list[Score]) -> NoveltyIndex:
    built = NoveltyIndex()
    for i, piece in enumerate(pieces):
        built.add(f"ref-{i}", fingerprint(piece))
    built.coverage.run_threshold = 0.6
    built.coverage.source_threshold = 0.6
    built.coverage.coarse_threshold = 0.8
    return built


def chords(*progression: tuple[int, ...], beats: int = 1) -> Score:
    """Block chords (pitches) of ``beats`` each, one track per voice."""
    voices = max(len(c) for c in progression)
    tracks = []
    for v in range(voices):
        notes = [
            Note(i * 480 * beats, chord[v], 480 * beats, 80)
            for i, chord in enumerate(progression)
            if v < len(chord)
        ]
        tracks.append(Track(notes, program=0, name=f"v{v}"))
    return Score(tracks=tracks, resolution=480, tempo=100.0)


def test_slices_hold_pitch_classes_with_held_notes_and_outer_voices() -> None:
    piece = Score(
        tracks=[
            Track([Note(0, 72, 960), Note(960, 74, 480)], name="s"),
            Track([Note(0, 48, 480), Note(480, 55, 960)], name="b"),
        ],
        resolution=480,
    )
    cut = slices(piece)
    assert [int(s) for s in cut.sets] == [1 << 0, (1 << 0) | (1 << 7), (1 << 2) | (1 << 7)]
    assert cut.lengths.tolist() == [480, 480, 480]
    assert cut.low.tolist() == [0, 7, 7]
    assert cut.high.tolist() == [0, 0, 2]


@pytest.mark.parametrize(
    "disguise",
    [attacks.merged, attacks.hocket, attacks.doubling_tracks, attacks.one_piano_track],
)
def test_layout_changes_leave_the_slices_alone(
    pieces: list[Score], disguise: attacks.Attack
) -> None:
    piece = pieces[0]
    original, disguised = slices(piece), slices(disguise(piece, np.random.default_rng(1)))
    assert np.array_equal(original.sets, disguised.sets)
    assert np.array_equal(original.lengths, disguised.lengths)


def test_a_players_timing_leaves_the_slices_alone() -> None:
    piece = chords((60, 64, 67), (62, 65, 69), (64, 67, 71), (65, 69, 72))
    piece = replace(piece, resolution=24, tempo=98.0)  # the corpus's grid: 1 tick = 25 ms
    piece = transforms.time_stretch(piece, 24 / 480)
    jittered = attacks.timing_jitter(piece, np.random.default_rng(3))
    assert any(n.start % 24 for n in jittered.all_notes())  # the jitter did move onsets
    assert np.array_equal(slices(piece).sets, slices(jittered).sets)


def test_major_and_minor_are_one_token_sequence_in_the_same_tonic() -> None:
    major = chords((60, 64, 67), (65, 69, 72), (67, 71, 74), (60, 64, 67))
    minor = chords((60, 63, 67), (65, 68, 72), (67, 71, 74), (60, 63, 67))
    for outer in (False, True):
        assert np.array_equal(
            tokens(slices(major), 0, outer=outer)[0], tokens(slices(minor), 0, outer=outer)[0]
        )
    # ...but a different progression is a different sequence.
    other = chords((60, 64, 67), (67, 71, 74), (65, 69, 72), (60, 64, 67))
    assert not np.array_equal(tokens(slices(major), 0)[0], tokens(slices(other), 0)[0])


@pytest.mark.parametrize(
    "disguise",
    [
        attacks.merged,
        attacks.hocket,
        attacks.doubling_tracks,
        attacks.octave_moves,
        attacks.mode_swapped,
        attacks.timing_jitter,
        lambda s, rng: transforms.transpose(s, 5),
    ],
)
def test_disguised_copies_are_flagged(
    index: NoveltyIndex, pieces: list[Score], disguise: attacks.Attack
) -> None:
    rng = np.random.default_rng(7)
    for i in (3, 17):
        match = index.find_copy(fingerprint(disguise(pieces[i], rng)))
        assert match is not None
        assert match.source == f"ref-{i}"


def test_a_cento_of_two_bar_chunks_is_covered_by_its_sources(
    index: NoveltyIndex, pieces: list[Score]
) -> None:
    cento = attacks.cento(pieces[5], np.random.default_rng(2), [pieces[6], pieces[7]], bars=2)
    coverage = index.covered(fingerprint(cento))
    assert coverage is not None
    assert coverage.run > 0.8
    names = {index.sources[d] for d in coverage.run_sources}
    assert {"ref-5", "ref-6", "ref-7"} <= names
    match = index.find_copy(fingerprint(cento))
    assert match is not None
    assert match.rule in ("voices", "runs")


def test_shuffled_bars_are_covered_by_their_one_source(
    index: NoveltyIndex, pieces: list[Score]
) -> None:
    shuffled = attacks.bar_shuffle(pieces[9], np.random.default_rng(4))
    coverage = index.covered(fingerprint(shuffled))
    assert coverage is not None
    assert coverage.best_source == index.sources.index("ref-9")
    assert coverage.source > 0.6
    assert index.find_copy(fingerprint(shuffled)) is not None


def test_new_music_is_not_covered(index: NoveltyIndex) -> None:
    for seed in (100, 101, 102):
        coverage = index.covered(fingerprint(random_piece(seed)))
        assert coverage is not None
        assert coverage.run < 0.2
        assert coverage.source < 0.3
        assert coverage.coarse < 0.2
        assert index.find_copy(fingerprint(random_piece(seed))) is None


def test_excluding_the_source_removes_its_coverage(
    index: NoveltyIndex, pieces: list[Score]
) -> None:
    coverage = index.covered(fingerprint(pieces[12]), exclude=["ref-12"])
    assert coverage is not None
    assert coverage.run < 0.2


def test_the_canonical_form_and_coverage_survive_a_round_trip(
    index: NoveltyIndex, pieces: list[Score], tmp_path: Path
) -> None:
    print_ = fingerprint(attacks.hocket(pieces[3], np.random.default_rng(0)))
    again = Fingerprint.from_bytes(print_.to_bytes())
    assert again.canonical is not None
    assert print_.canonical is not None
    assert np.array_equal(again.canonical.sets, print_.canonical.sets)
    assert np.array_equal(again.canonical.high, print_.canonical.high)
    index.save(tmp_path / "novelty.npz")
    loaded = NoveltyIndex.load(tmp_path / "novelty.npz")
    assert loaded.coverage.settings() == index.coverage.settings()
    before, after = index.covered(print_), loaded.covered(again)
    assert before is not None
    assert after is not None
    assert (after.run, after.source, after.coarse, after.best_source) == (
        before.run,
        before.source,
        before.coarse,
        before.best_source,
    )
    assert after.run == 1.0


def test_an_index_of_entries_takes_the_profiles_thresholds() -> None:
    profile_side, entries = (
        CoverageIndex(run_threshold=0.31, source_threshold=0.42),
        CoverageIndex(),
    )
    entries.adopt_settings(profile_side)
    assert (entries.run_threshold, entries.source_threshold) == (0.31, 0.42)


def test_joined_documents_cover_each_of_their_pieces(pieces: list[Score]) -> None:
    joined = join_slices([slices(pieces[0]), slices(pieces[1])])
    index = CoverageIndex()
    index.add(0, joined)
    assert index.measure(slices(pieces[1])).run > 0.9
    empty = index.measure(Slices.empty())
    assert empty.run == 0.0
    assert empty.best_source is None


def test_a_coverage_rule_that_flags_more_real_pieces_than_it_catches_copies_is_off() -> None:
    from evaluation.novelty_calibration import RULE_OFF, _option

    useful = _option(real=[0.1] * 95 + [0.3] * 5, copied=[0.9] * 100, floor=0.3)
    assert 0.3 < useful["threshold"] < 0.9
    assert useful["copies_caught"] == 1.0
    assert useful["real_flagged"] == 0.0
    # Copies no better than real pieces (a corpus of tune families): no threshold helps.
    useless = _option(real=[0.2] * 90 + [0.8] * 10, copied=[0.0] * 50 + [0.8] * 50, floor=0.3)
    assert useless["threshold"] == RULE_OFF
    assert useless["copies_caught"] == 0.0
