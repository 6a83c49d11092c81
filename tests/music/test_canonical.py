"""The performance canonical form: humanised timing goes back to the written grid and a
keyboard track of several voices is split into them, while music as written is untouched."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from music.canonical import canonical_form, close_gaps, separate_voices, snap_timing
from music.score import Note, Score, Track
from music.transforms import merge_tracks
from tests.music.builders import held_for

RES = 480


def satb() -> Score:
    """Four voices that never cross, with passing notes, a rest and a held note."""
    soprano = [Note(0, 72, 480), Note(480, 74, 240), Note(720, 76, 240), Note(960, 77, 960)]
    alto = [Note(0, 67, 480), Note(480, 67, 480), Note(1440, 69, 480)]  # rests a beat
    tenor = [Note(0, 64, 960), Note(960, 62, 480), Note(1440, 65, 480)]
    bass = [Note(0, 48, 480), Note(480, 47, 480), Note(960, 45, 240), Note(1200, 43, 720)]
    voices = zip(("S", "A", "T", "B"), (soprano, alto, tenor, bass), strict=True)
    return Score([Track(notes, program=52, name=name) for name, notes in voices], resolution=RES)


def note_set(score: Score) -> list[tuple[int, int, int]]:
    return sorted((n.start, n.end, n.pitch) for n in score.all_notes())


def jittered(score: Score, ticks: int, seed: int = 0) -> Score:
    rng = np.random.default_rng(seed)

    def move(note: Note) -> Note:
        start = max(0, note.start + int(rng.integers(-ticks, ticks + 1)))
        end = note.end + int(rng.integers(-ticks, ticks + 1))
        return replace(note, start=start, duration=max(1, end - start))

    return replace(
        score, tracks=[replace(t, notes=sorted(map(move, t.notes))) for t in score.tracks]
    )


def test_music_as_written_is_returned_untouched() -> None:
    score = satb()
    assert canonical_form(score) is score


def test_written_triplets_and_thirty_seconds_stay_where_they_are() -> None:
    # Eighth-note triplets, then 32nds, then a 32nd-note-triplet position (1/12 beat).
    starts = [0, 160, 320, 480, 540, 600, 660, 720, 760]
    ends = [*starts[1:], 800]
    line = Track(
        [Note(s, 60 + i, e - s) for i, (s, e) in enumerate(zip(starts, ends, strict=True))]
    )
    score = Score([line], resolution=RES)
    # Judged against music as quick (a fifth of a beat between onsets), so that its note
    # values are the reference's (plain_note_values would otherwise double them).
    assert canonical_form(score, onset_gap=0.2) is score
    # ...also inside a performed piece, where the other times are off the grid.
    performed = replace(jittered(satb(), 15), tracks=[line, *jittered(satb(), 15).tracks])
    assert snap_timing(performed).tracks[0].notes == line.notes


def test_timing_jitter_of_twenty_milliseconds_goes_back_to_the_grid() -> None:
    # 20 ms at 100 beats a minute is 1/30 beat: 16 ticks at 480 per beat.
    score = satb()
    for seed in range(5):
        assert note_set(snap_timing(jittered(score, 16, seed))) == note_set(score)


def test_one_tick_of_jitter_at_the_corpus_resolution_is_undone() -> None:
    # The corpus is stored at 24 ticks a beat: one tick is 1/24 beat, as near to a
    # 32nd-triplet position as to the written one; the plainer position wins.
    beats = [(0, 12), (12, 18), (18, 24), (24, 48), (48, 54), (54, 60), (60, 72)]
    line = [Note(start, 60 + i, end - start) for i, (start, end) in enumerate(beats)]
    score = Score([Track(line)], resolution=24)
    for shift in (-1, 1):
        moved = [
            Note(n.start + shift * (i % 2) if n.start else 0, n.pitch, n.duration - shift)
            for i, n in enumerate(line)
        ]
        assert note_set(snap_timing(replace(score, tracks=[Track(moved)]))) == note_set(score)


def test_shifts_of_an_eighth_of_a_beat_or_more_are_not_undone() -> None:
    # rhythm_jittered fakes move notes by 1/8 to 1/3 beat: they must stay off their place.
    score = satb()
    rng = np.random.default_rng(1)
    moved = replace(
        score,
        tracks=[
            replace(
                t,
                notes=sorted(
                    replace(n, start=n.start + int(rng.choice([-1, 1]) * rng.integers(61, 100)))
                    for n in t.notes
                    if n.start >= 100
                ),
            )
            for t in score.tracks
        ],
    )
    snapped = snap_timing(moved)
    assert not set(note_set(snapped)) & set(note_set(score))


def test_one_keyboard_track_is_split_back_into_its_voices() -> None:
    score = satb()
    one = separate_voices(merge_tracks(score))
    assert [sorted(t.notes) for t in one.tracks] == [sorted(t.notes) for t in score.tracks]
    assert [t.name for t in one.tracks] == ["S voice 1", "S voice 2", "S voice 3", "S voice 4"]


def test_voices_sung_in_unison_stay_two_voices() -> None:
    upper = Track([Note(0, 67, 480), Note(480, 69, 480)])
    lower = Track([Note(0, 60, 480), Note(480, 69, 480)])  # meets the upper voice
    one = separate_voices(merge_tracks(Score([upper, lower], resolution=RES)))
    assert [[n.pitch for n in t.notes] for t in one.tracks] == [[67, 69], [60, 69]]


def test_a_resting_voice_comes_back_in_its_own_register() -> None:
    # Four voices, then only soprano and bass, then four again.
    full = [72, 67, 60, 48]
    notes = [Note(0, p, 480) for p in full] + [Note(480, 74, 480), Note(480, 47, 480)]
    notes += [Note(960, p, 480) for p in (76, 67, 60, 48)]
    one = separate_voices(Score([Track(sorted(notes))], resolution=RES))
    assert [[n.pitch for n in t.notes] for t in one.tracks] == [
        [72, 74, 76],
        [67, 67],
        [60, 60],
        [48, 47, 48],
    ]


def test_a_line_with_a_closing_chord_or_legato_overlaps_stays_one_track() -> None:
    line = [Note(480 * i, 60 + i, 480 + 40) for i in range(8)]  # legato, 1/12 beat over
    line += [Note(3840, 60, 960), Note(3840, 64, 960)]  # a divided last chord
    score = Score([Track(line)], resolution=RES)
    assert separate_voices(score) is score


def test_drums_are_never_split() -> None:
    kit = Track([Note(480 * (i // 2), 36 + 6 * (i % 2), 120) for i in range(16)], is_drum=True)
    score = Score([kit], resolution=RES)
    assert separate_voices(score) is score


# ----- articulation ----------------------------------------------------------------------


def test_a_performance_let_go_early_is_read_legato() -> None:
    written = satb()
    read = canonical_form(held_for(jittered(written, 10), 0.8))
    for before, after in zip(written.tracks, read.tracks, strict=True):
        for was, now, following in zip(before.notes, after.notes, before.notes[1:], strict=False):
            if was.end == following.start:  # legato as written (not before the alto's rest)
                assert now.end == following.start, (before.name, now)
    # The alto's rest of a beat is a rest: its note before it is not held over it.
    alto = read.tracks[1].notes
    assert alto[1].end < 1440


def test_written_staccato_keeps_its_rests() -> None:
    written = held_for(satb(), 0.5)  # quarter notes written as eighths and eighth rests
    assert canonical_form(written) is written


def test_close_gaps_holds_only_a_short_silence_after_a_longer_note() -> None:
    notes = [
        Note(0, 60, 400),  # 80 ticks before the next onset: held on
        Note(480, 62, 100),  # 380 ticks, longer than the note itself: a rest
        Note(960, 64, 180),  # 300 ticks, longer than the limit (0.48 beats here): a rest
        Note(1440, 65, 480),  # the last note: nothing to hold on to
    ]
    drums = Track([Note(0, 36, 100), Note(240, 38, 100)], is_drum=True)
    score = Score([Track(notes), drums], resolution=RES)
    closed = close_gaps(score)
    assert [n.end for n in closed.tracks[0].notes] == [480, 580, 1140, 1920]
    assert closed.tracks[1] is drums
    assert close_gaps(closed) is closed


def test_how_long_a_silence_is_touch_follows_the_reference_music() -> None:
    """In Palestrina's long notes (an onset every 1.56 quarters) a whole note let go after
    80 % of its value leaves most of a beat: touch there, a rest in a chorale's pace."""
    score = Score([Track([Note(0, 60, 1536), Note(1920, 62, 1920)])], resolution=RES)
    assert close_gaps(score) is score
    assert close_gaps(score, longest=0.8 * 1.56).tracks[0].notes[0].end == 1920
