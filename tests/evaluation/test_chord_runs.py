"""Chord runs: a piece keeps its voiced chords when its bars are shuffled or cut into a
cento (the degree figures, broken at every bar line, keep few when a bar holds two or
three chords, as a chorale's does); new music shares few voiced chords in a row with any
one source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation.canonical import slices, voicing_tokens
from evaluation.coverage import CoverageIndex
from evaluation.fingerprint import Fingerprint, fingerprint
from evaluation.novelty import NoveltyIndex
from evaluation.redteam import attacks
from music.score import Note, Score, Track

RES = 480
BARS = 16
# Close-position triads on the degrees of C major (root, third, fifth in semitones).
TRIADS = [(0, 4, 7), (2, 5, 9), (4, 7, 11), (5, 9, 12), (7, 11, 14), (9, 12, 16)]


def hymn(seed: int) -> Score:
    """Four voices of one-beat chords, four to a bar: a random diatonic triad each, voiced
    at random over a random bass."""
    rng = np.random.default_rng(seed)
    voices: list[list[Note]] = [[], [], [], []]
    for i in range(BARS * 4):
        root, third, fifth = TRIADS[int(rng.integers(len(TRIADS)))]
        bass = 48 + root - 12 * int(rng.integers(2))
        upper = sorted(
            60 + p + 12 * int(rng.integers(2)) - 12 * int(p >= 12) for p in (root, third, fifth)
        )
        for voice, pitch in zip(voices, [*upper[::-1], bass], strict=True):
            voice.append(Note(i * RES, pitch, RES, 80))
    names = ("S", "A", "T", "B")
    tracks = [Track(notes, program=52, name=n) for n, notes in zip(names, voices, strict=True)]
    return Score(tracks=tracks, resolution=RES, tempo=90.0)


@pytest.fixture(scope="module")
def hymns() -> list[Score]:
    return [hymn(seed) for seed in range(30)]


@pytest.fixture(scope="module")
def index(hymns: list[Score]) -> NoveltyIndex:
    built = NoveltyIndex()
    for i, piece in enumerate(hymns):
        built.add(f"ref-{i}", fingerprint(piece))
    built.coverage.source_run_threshold = 0.6
    built.coverage.few_threshold = 0.7
    return built


def test_slices_hold_the_voicing_above_the_bass() -> None:
    piece = Score(
        tracks=[
            Track([Note(0, 72, 960), Note(960, 74, 480)], name="s"),
            Track([Note(0, 48, 480), Note(480, 55, 960)], name="b"),
        ],
        resolution=RES,
    )
    cut = slices(piece)
    assert cut.voicing.tolist() == [1 | 1 << 24, 1 | 1 << 17, 1 | 1 << 19]
    base, bass, first = voicing_tokens(cut)
    assert bass.tolist() == [0, 7, 7]
    assert first.tolist() == [0, 1, 2, 3]
    assert len(set(base.tolist())) == 3


def test_bars_shuffled_are_covered_by_chord_runs_of_their_one_source(
    index: NoveltyIndex, hymns: list[Score]
) -> None:
    shuffled = attacks.bar_shuffle(hymns[9], np.random.default_rng(4))
    coverage = index.covered(fingerprint(shuffled))
    assert coverage is not None
    assert coverage.source_runs_source == index.sources.index("ref-9")
    assert coverage.source_runs > 0.7
    match = index.find_copy(fingerprint(shuffled))
    assert match is not None
    assert match.source == "ref-9"


def test_a_cento_of_two_bar_chunks_from_four_pieces_is_covered_by_those_few(
    index: NoveltyIndex, hymns: list[Score]
) -> None:
    others = [hymns[6], hymns[7], hymns[8]]
    cento = attacks.cento(hymns[5], np.random.default_rng(2), others, bars=2)
    coverage = index.covered(fingerprint(cento))
    assert coverage is not None
    assert coverage.few > 0.75  # over 90 % of the time, scaled by n / (n + 8)
    assert {index.sources[d] for d in coverage.few_sources} == {f"ref-{i}" for i in (5, 6, 7, 8)}


def test_new_music_shares_few_chord_runs_with_any_source(index: NoveltyIndex) -> None:
    for seed in (100, 101, 102):
        coverage = index.covered(fingerprint(hymn(seed)))
        assert coverage is not None
        # Six triads in a few voicings: every chord is voiced alike somewhere in most
        # sources (half weight), but hardly two in a row.
        assert coverage.source_runs < 0.5
        assert coverage.few < 0.6
        assert index.find_copy(fingerprint(hymn(seed))) is None


def test_a_short_piece_must_share_more_of_itself() -> None:
    piece = hymn(1)
    index = CoverageIndex()
    index.add(0, slices(piece))
    chords = len(voicing_tokens(slices(piece))[0])  # 64 beats, repeated chords one
    # The whole piece copied: all of its time, scaled by n / (n + 8).
    assert index.measure(slices(piece)).source_runs == pytest.approx(chords / (chords + 8))


def test_switched_off_chord_rules_are_not_measured(hymns: list[Score]) -> None:
    index = CoverageIndex(source_run_threshold=1.0001, few_threshold=1.0001)
    index.add(0, slices(hymns[0]))
    coverage = index.measure(slices(hymns[0]))
    assert (coverage.source_runs, coverage.few) == (0.0, 0.0)


def test_chord_runs_survive_a_round_trip(
    index: NoveltyIndex, hymns: list[Score], tmp_path: Path
) -> None:
    print_ = fingerprint(attacks.bar_shuffle(hymns[3], np.random.default_rng(0)))
    again = Fingerprint.from_bytes(print_.to_bytes())
    assert again.canonical is not None
    assert print_.canonical is not None
    assert np.array_equal(again.canonical.voicing, print_.canonical.voicing)
    index.save(tmp_path / "novelty.npz")
    loaded = NoveltyIndex.load(tmp_path / "novelty.npz")
    before, after = index.covered(print_), loaded.covered(again)
    assert before is not None
    assert after is not None
    assert (after.source_runs, after.few) == (before.source_runs, before.few)
    assert after.source_runs > 0.7


def test_an_index_from_before_chord_runs_loads_and_finds_none(hymns: list[Score]) -> None:
    index = CoverageIndex()
    index.add(0, slices(hymns[0]))
    arrays = {k: v for k, v in index.to_arrays().items() if "chords" not in k}
    old = CoverageIndex.from_arrays(arrays, index.settings())
    assert old.measure(slices(hymns[0])).source_runs == 0.0


def test_coverage_rebuilt_from_the_scores_finds_what_a_fresh_index_finds(
    hymns: list[Score],
) -> None:
    fresh = NoveltyIndex()
    for i, piece in enumerate(hymns[:5]):
        fresh.add(f"ref-{i}", fingerprint(piece))
    stale = NoveltyIndex()
    for i, piece in enumerate(hymns[:5]):
        stale.add(f"ref-{i}", Fingerprint(fingerprint(piece).voices))  # no canonical form
    stale.rebuild_coverage({f"ref-{i}": piece for i, piece in enumerate(hymns[:5])})
    query = fingerprint(attacks.bar_shuffle(hymns[2], np.random.default_rng(1)))
    before, after = fresh.covered(query), stale.covered(query)
    assert before is not None
    assert after is not None
    fields = ("run", "source", "coarse", "source_runs", "few", "source_runs_source")
    assert [getattr(after, f) for f in fields] == [getattr(before, f) for f in fields]
    with pytest.raises(ValueError, match="no score"):
        stale.rebuild_coverage({})


def test_the_validity_report_names_the_coverage_rules_and_those_that_are_off() -> None:
    from evaluation.validity import ValidityResult

    settings = CoverageIndex(source_threshold=1.0001, source_run_threshold=0.66).settings()
    result = ValidityResult("p", "4.1+p.0", 1, 80.0, 50.0, [], {}, 0.0, [], 1.0, coverage=settings)
    text = result._coverage_text()
    assert "66% or more lies in runs of voiced chords found in one source" in text
    assert "Off for this profile (figures from one source)" in text
