"""The red-team attacks do what their names say, and the report checks its targets."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from evaluation.redteam import attacks
from evaluation.redteam.run import RedTeamResult, Row
from music.score import Note, Score, Track


def chorale(seed: int = 0, bars: int = 8) -> Score:
    """Four voices in C major, quarter notes, one chord change a beat."""
    rng = np.random.default_rng(seed)
    tracks = []
    for low in (67, 60, 52, 40):
        notes = [
            Note(beat * 480, low + int(rng.choice([0, 2, 4, 5, 7, 9, 11])), 480, 80)
            for beat in range(bars * 4)
        ]
        tracks.append(Track(notes, name=f"voice {low}"))
    return Score(tracks, resolution=480)


def notes(score: Score) -> Counter[tuple[int, int, int]]:
    return Counter((n.start, n.pitch, n.duration) for t in score.tracks for n in t.notes)


def rng() -> np.random.Generator:
    return np.random.default_rng(1)


def test_doubling_tracks_add_only_unison_copies_of_existing_notes() -> None:
    piece = chorale()
    padded = attacks.doubling_tracks(piece, rng())
    assert len(padded.tracks) == len(piece.tracks) + 3
    original = set(notes(piece))
    assert all(set(notes(Score([t]))) <= original for t in padded.tracks[4:])


def test_merged_and_hocket_keep_every_note_and_only_move_it_between_tracks() -> None:
    piece = chorale()
    assert notes(attacks.merged(piece, rng())) == notes(piece)
    spread = attacks.hocket(piece, rng())
    assert notes(spread) == notes(piece)
    assert len(spread.tracks) == 6


def test_octave_moves_keep_the_top_voice_and_every_pitch_class() -> None:
    piece = chorale()
    moved = attacks.octave_moves(piece, rng())
    assert moved.tracks[0].notes == piece.tracks[0].notes
    before = sorted((n.start, n.pitch % 12) for t in piece.tracks for n in t.notes)
    after = sorted((n.start, n.pitch % 12) for t in moved.tracks for n in t.notes)
    assert before == after
    assert notes(moved) != notes(piece)


def test_mode_swap_lowers_the_third_sixth_and_seventh_of_a_major_key() -> None:
    tune = [60, 64, 67, 72, 71, 69, 67, 65, 64, 62, 60, 67, 64, 60]  # plainly C major
    piece = Score([Track([Note(i * 480, p, 480) for i, p in enumerate(tune)])])
    swapped = attacks.mode_swapped(piece, rng())
    lowered = [p - 1 if p % 12 in (4, 9, 11) else p for p in tune]
    assert [n.pitch for n in swapped.tracks[0].notes] == lowered


def test_a_bar_shuffle_keeps_each_bar_whole() -> None:
    piece = chorale()
    shuffled = attacks.bar_shuffle(piece, rng())

    def bars(score: Score) -> Counter[tuple[tuple[int, int], ...]]:
        per_bar: dict[int, list[tuple[int, int]]] = {}
        for n in score.all_notes():
            per_bar.setdefault(n.start // 1920, []).append((n.start % 1920, n.pitch))
        return Counter(tuple(sorted(v)) for v in per_bar.values())

    assert bars(shuffled) == bars(piece)
    assert shuffled.all_notes() != piece.all_notes()


def test_a_cento_draws_chunks_from_several_pieces() -> None:
    piece, other = chorale(0), chorale(1)
    made = attacks.cento(piece, rng(), [other], bars=2)
    assert made.bar_count == piece.bar_count
    bar_sets = {
        tuple(sorted(n.pitch for n in made.all_notes() if n.start // 1920 == b)) for b in (0, 2)
    }
    assert len(bar_sets) == 2  # chunks alternate between the two sources


def test_timing_jitter_stays_within_twenty_milliseconds() -> None:
    piece = chorale()
    jittered = attacks.timing_jitter(piece, rng())
    limit = piece.seconds_to_ticks(0.02)
    pairs = zip(piece.all_notes(), sorted(jittered.all_notes(), key=lambda n: n.start), strict=True)
    moved = [abs(a.start - b.start) for a, b in pairs]
    assert max(moved) <= 2 * limit
    assert any(moved)


def test_wrong_notes_change_about_the_stated_share() -> None:
    piece = chorale(bars=32)
    damaged = attacks.wrong_notes(0.2)(piece, rng())
    changed = sum(
        a.pitch != b.pitch for a, b in zip(piece.all_notes(), damaged.all_notes(), strict=True)
    )
    assert changed / piece.note_count == pytest.approx(0.2, abs=0.05)


def test_the_report_passes_and_fails_each_target_on_its_figures() -> None:
    result = RedTeamResult("p", "4+p.0", 2)
    result.rows = [
        Row("held-out real", "real", (80.0, 90.0), 0.0),
        Row("merged", "copy", (10.0, 20.0), 1.0),
        Row("bars shuffled", "copy", (70.0, 80.0), 0.5),
        Row("quartets", "other", (40.0, 50.0), 0.0),
        Row("junk: cluster", "junk", (1.0, 2.0), 0.0),
        Row("timing jitter", "performance", (84.0, 86.0), 0.0, delta=-1.0),
        Row("one track", "performance", (70.0, 72.0), 0.0, delta=-14.0),
        Row("1% wrong", "damage", (80.0, 84.0), 0.0),
        Row("5% wrong", "damage", (60.0, 70.0), 0.0),
    ]
    checks = dict(result.checks())
    assert checks["every disguised copy kind flagged >= 99%"] == "FAIL"
    assert checks["held-out real falsely flagged <= 2%"] == "pass"
    assert checks["other composers falsely flagged <= 1%"] == "pass"
    assert (
        checks["other real music median >= 30 and above every junk family's 95th percentile"]
        == "pass"
    )
    performance = (
        "timing, played in, detached, note values, one track and first 8 bars each within 5 points"
    )
    assert checks[performance] == "FAIL"
    assert checks["median falls strictly at each damage step"] == "pass"
    markdown = result.to_markdown()
    assert "| bars shuffled | copy | 2 | 50% | 75.0 |" in markdown
    assert "not measured" in markdown


def test_a_copy_kind_that_leaves_every_piece_unchanged_is_reported_but_no_target() -> None:
    from evaluation.redteam.run import _unchanged

    tune = Score([Track([Note(i * 480, 60 + i % 5, 480, 80) for i in range(16)])], resolution=480)
    moved = attacks.octave_moves(tune, rng())  # no voice below the top one: nothing moves
    assert _unchanged([tune], [moved]) == "one-voice pieces, left unchanged"
    assert _unchanged([chorale()], [attacks.octave_moves(chorale(), rng())]) == ""
    assert _unchanged([chorale()], [attacks.merged(chorale(), rng())]) == ""  # same notes
    result = RedTeamResult("p", "4+p.0", 1)
    result.rows = [
        Row("held-out real", "real", (80.0,), 0.0),
        Row("lower voices moved by octaves", "copy", (80.0,), 0.0, not_applicable="one voice"),
        Row("bars shuffled", "copy", (70.0,), 1.0),
    ]
    assert dict(result.checks())["every disguised copy kind flagged >= 99%"] == "pass"
    assert "| 0% | 80.0 | 80.0-80.0 | n/a: one voice |" in result.to_markdown()


HARMONISATION_TARGET = (
    "strong rule harmonisations: AUROC >= 0.95 against held-out real, median >= 20 points below"
)


def test_the_harmonisation_target_needs_both_separation_and_a_gap() -> None:
    real = Row("held-out real", "real", (80.0, 85.0, 90.0), 0.0)
    far = Row("strong rule harmonisations", "harmonisation", (40.0, 50.0, 60.0), 0.0)
    close = Row("strong rule harmonisations", "harmonisation", (70.0, 75.0, 79.0), 0.0)
    result = RedTeamResult("p", "4+p.0", 3)
    result.rows = [real, far]
    assert dict(result.checks())[HARMONISATION_TARGET] == "pass (AUROC 1.000, 35.0 points below)"
    result.rows = [real, close]  # told apart every time, but only 10 points below
    assert dict(result.checks())[HARMONISATION_TARGET].startswith("FAIL (AUROC 1.000, 10.0")


def test_a_strong_harmonisation_keeps_the_soprano_under_four_new_voices() -> None:
    from music.voice_leading import parallel_motions

    piece = chorale()
    made = attacks.strong_harmonisation(piece, rng())
    assert len(made.tracks) == 4
    assert made.tracks[0].notes == piece.tracks[0].notes
    assert notes(made) != notes(piece)
    assert parallel_motions([t.notes for t in made.tracks])[0] == 0


def test_other_music_leaves_out_the_profiles_own_corpus() -> None:
    # Palestrina is other music to the chorale and folk judges, not to the renaissance one:
    # the files named in ``exclude`` are never read. Everything but Bach's prelude is
    # excluded here, so only the prelude is read.
    from evaluation.redteam.other_music import other_music_files, read_other_music
    from music.corpus.sources import corpus_root

    root = corpus_root()
    files = [str(path.relative_to(root)) for _, _, path in other_music_files(root)]
    assert any(f.startswith("palestrina/") for f in files)
    said: list[str] = []
    kept = read_other_music(said.append, exclude=[f for f in files if "bwv846" not in f])
    assert [label for label, _ in kept] == ["Bach, Prelude in C (BWV 846)"]
    assert sum("own corpus" in line for line in said) == len(files) - 1
