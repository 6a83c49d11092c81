"""Hard negatives (centos, shuffled bars, wrong notes) and the real-side augmentations:
each keeps the piece's frame, and each changes (or leaves) what it says it does."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from evaluation import augment, hard_fakes
from evaluation.fakes import HARD, make_fake
from evaluation.metrics.harmony import estimate_key
from evaluation.windows import score_windows
from music.canonical import canonical_form
from music.score import Score
from tests.evaluation.builders import RES, build, chorale, part


def bar_contents(score: Score, track: int) -> Counter:
    """The onsets of one track off the bar lines as (pitch, position in its bar): what
    moving whole bars keeps (a note held over a bar line is cut there)."""
    bar = score.ticks_per_bar
    return Counter((n.pitch, n.start % bar) for n in score.tracks[track].notes if n.start % bar)


@pytest.fixture
def real() -> Score:
    return chorale(seed=7, bars=8)


@pytest.fixture
def donors() -> list[Score]:
    return [chorale(seed, bars=6) for seed in range(20, 26)]


@pytest.mark.parametrize("family", HARD)
def test_hard_negatives_with_donors_keep_the_frame_and_the_length(family, real, donors):
    fake = make_fake(family, real, np.random.default_rng(2), donors=[real, *donors])
    assert (fake.resolution, fake.tempo, fake.time_signature) == (RES, 96.0, (4, 4))
    assert [(t.program, t.is_drum, t.name) for t in fake.tracks] == [
        (t.program, t.is_drum, t.name) for t in real.tracks
    ]
    assert fake.tracks[-1] == real.tracks[-1]  # the drums stay
    assert real.end_tick - RES // 3 <= fake.end_tick <= real.end_tick
    assert fake != real
    for track in fake.tracks:
        assert track.notes == sorted(track.notes)
        assert all(0 <= n.pitch <= 127 and n.duration >= 1 for n in track.notes)


def whole_note_chorale(tonic: int, bars: int = 8) -> Score:
    """Four parts in whole notes, I-IV-V-I over and over, in the major key of ``tonic``."""
    chords = [(48, 64, 67, 72), (53, 65, 69, 72), (55, 62, 67, 71), (48, 64, 67, 72)]
    parts = [part(*((4 * b, chords[b % 4][v] + tonic, 4) for b in range(bars))) for v in range(4)]
    return build(*parts, part(*((b, 36, 0.5) for b in range(4 * bars)), drum=True))


@pytest.mark.parametrize("tonic", [0, 5])
def test_a_cento_takes_chunks_of_its_donors_moved_to_the_pieces_key(real, tonic):
    donor = whole_note_chorale(tonic)
    fake = make_fake("cento", real, np.random.default_rng(4), donors=[real, donor])
    ours, theirs = estimate_key(real), estimate_key(donor)
    assert ours is not None
    assert theirs is not None
    shift = ((ours.tonic - theirs.tonic + 6) % 12) - 6
    expected = {(n.pitch + shift) % 12 for n in donor.all_notes()}
    borrowed = [n for n in fake.all_notes() if n.duration == 4 * RES]
    assert len(borrowed) >= 8  # at least two bars of the donor's chords
    assert {n.pitch % 12 for n in borrowed} <= expected
    assert all(n.start % real.ticks_per_bar == 0 for n in borrowed)


def test_a_cento_without_donors_rearranges_the_piece_itself(real):
    fake = hard_fakes.cento(real, np.random.default_rng(1))
    assert set(fake.all_notes()) != set(real.all_notes())
    bar = real.ticks_per_bar
    # Chunks start on bar lines and are not transposed: every onset off a bar line is
    # one of the piece's at the same place in its bar (a note held over a chunk's first
    # bar line starts on it).
    assert {(n.pitch, n.start % bar) for n in fake.all_notes() if n.start % bar} <= {
        (n.pitch, n.start % bar) for n in real.all_notes()
    }
    assert {n.pitch for n in fake.all_notes()} <= {n.pitch for n in real.all_notes()}


def test_shuffled_bars_keep_every_bar_of_each_voice(real):
    fake = hard_fakes.bar_shuffled(real, np.random.default_rng(3))
    assert fake != real
    for track in range(4):
        assert bar_contents(fake, track) == bar_contents(real, track)


def test_wrong_notes_move_a_damage_level_of_the_notes_and_keep_the_rhythm(real):
    shares = []
    for seed in range(12):
        fake = hard_fakes.wrong_notes(real, np.random.default_rng(seed))
        moved = 0
        for ours, theirs in zip(fake.tracks[:4], real.tracks[:4], strict=True):
            assert [(n.start, n.duration) for n in ours.notes] == [
                (n.start, n.duration) for n in theirs.notes
            ]
            steps = [abs(a.pitch - b.pitch) for a, b in zip(ours.notes, theirs.notes, strict=True)]
            assert max(steps) <= 6
            moved += sum(s > 0 for s in steps)
        shares.append(moved / sum(len(t.notes) for t in real.tracks[:4]))
    assert max(shares) <= max(hard_fakes.DAMAGE_LEVELS) * 2
    assert min(shares) < 0.06 < 0.12 < max(shares)  # several levels are drawn


def test_hard_negatives_leave_their_input_alone_and_repeat(real, donors):
    before = real.copy()
    for family in HARD:
        first = make_fake(family, real, np.random.default_rng(9), donors=donors)
        assert first == make_fake(family, real, np.random.default_rng(9), donors=donors)
    assert real == before


# ----- real-side augmentations ----------------------------------------------------------


def test_an_octave_doubling_adds_one_voice_an_octave_away(real):
    for seed in range(6):
        doubled = augment.octave_doubling(real, np.random.default_rng(seed))
        assert doubled.tracks[: len(real.tracks)] == real.tracks
        (extra,) = doubled.tracks[len(real.tracks) :]
        sources = [
            t
            for t in real.tracks[:4]
            for shift in (-12, 12)
            if [n.pitch + shift for n in t.notes] == [n.pitch for n in extra.notes]
        ]
        assert sources


@pytest.mark.parametrize("name", ["velocity", "one_track", "timing_jitter"])
def test_what_performance_changes_leaves_the_windows_of_the_canonical_form_alone(name, real):
    # The critics read windows of the canonical form: these augmentations change nothing
    # they see (measured on the corpus too), so training on them would add no data.
    rng = np.random.default_rng(0)
    changed = augment.AUGMENTATIONS[name](real, rng)
    assert changed != real
    windows = score_windows(augment.augmented_real(name, real, np.random.default_rng(0)))
    np.testing.assert_array_equal(windows, score_windows(canonical_form(real)))


def test_velocity_stays_in_the_midi_range(real):
    louder = augment.velocity(real, np.random.default_rng(1))
    assert all(1 <= n.velocity <= 127 for n in louder.all_notes(include_drums=True))


def test_an_unknown_augmentation_is_refused(real):
    with pytest.raises(ValueError, match="unknown augmentation 'reverb'"):
        augment.augmented_real("reverb", real, np.random.default_rng(0))
