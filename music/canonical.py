"""The performance canonical form of a piece: the music without what a performance changes.

What a player changes without changing the music (DESIGN.md §5, step 2):

- **The beat.** A piece played without the click, or saved by a sequencer at its default
  tempo, does not lie on its file's beats at all: :func:`music.beats.follow_beat` finds
  its own beat and writes it out on it (a written piece is left alone).
- **Timing.** A player, or a sequencer's "humanise", starts and ends notes a few tens of
  milliseconds off the written grid. :func:`snap_timing` moves every start and end of a
  *performed* piece to the written position it was meant for. The written positions
  are the multiples of a 32nd note (1/8 beat) and of a 16th-note-triplet's half (1/12
  beat); where several lie within reach, the plainest wins: a time is moved to the
  candidate with the least ``distance * LEVEL_COST[level]``, so a note 1/24 beat after
  a beat line goes back to the beat, not to the 32nd-triplet position as near on the
  other side. Nothing further than ``SNAP_TOLERANCE_BEATS`` (1/16 beat, half the
  smallest shift of the ``rhythm_jittered`` fakes) is moved. A piece counts as
  performed when more than ``PERFORMED_SHARE`` of its note times are off the written
  positions; a piece as written (every corpus piece) is left exactly as it is, grace
  notes and all.
- **Articulation.** A player lets go of a note before the next one as it suits the
  instrument and the hand: held for 80 % of its value, a chorale lost 18 points, held
  for half, 54. In a *performed* piece (one that :func:`music.beats.follow_beat` or
  :func:`snap_timing` changed), :func:`close_gaps` holds each note of a voice on to the
  voice's next onset where the silence before it is shorter than the note itself and
  than ``LEGATO_GAPS`` of the reference music's mean time between onsets (half a beat
  in the chorales and folk tunes, a dotted half in Palestrina's long notes). A written
  piece keeps its rests, and staccato, as written.
- **Note values.** The same sound can be written in quarter notes at 100 bpm or in half
  notes at 200: a chorale written in twice its note values at twice the tempo lost 45
  points, and in half its note values at half the tempo, 52. :func:`plain_note_values`
  writes such a piece in the note values of the reference music: where its mean time
  between onsets is further than a factor of ``NOTE_VALUE_BAND`` from the reference's,
  each note value is halved (or doubled), as long as that also brings the beat nearer
  the one a listener taps (``music.beats.PREFERRED_BEAT_SECONDS``): half notes at 200 bpm
  are quarters at 100, but half notes at 100 bpm are slow music, judged as it sounds.
  Nothing moves in time (the resolution and the tempo change together). The bar lines
  stay where they are, or the written meter does (bars merging in pairs or splitting in
  halves), whichever gives bars holding nearer as many notes as the reference's: two
  bars of 3/4 in half notes become one bar of 3/4 in quarters, and a 4/2 bar of half
  notes a 4/4 bar of quarters. Corpus pieces at the corpus's 100 bpm are left as written.
- **Layout.** On a keyboard all voices sound from one track. :func:`separate_voices`
  splits a track in which notes regularly sound together (more than
  ``POLYPHONIC_SHARE`` of its notes) into voices by pitch order and continuity: as many
  voices as notes ever sound at once, each new note going to a free voice so that pitch
  order is kept top to bottom and the voices move as little as possible. A track that
  is already one voice (every part of a chorale) is left alone.

:func:`canonical_form` does all five. It returns the *same object* when nothing changes, so
judging a piece as written costs nothing and gives bit-identical results.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from music.beats import LEVEL_STEPS, ONSET_GAP, PREFERRED_BEAT_SECONDS, follow_beat, mean_onset_gap
from music.score import MAX_RESOLUTION, NOTE_ORDER, Note, Score, Track
from music.transforms import time_stretch

IntArray = npt.NDArray[np.int64]

# Written positions per beat, plainest first, and what a move to each costs per tick:
# beats, 8ths and 16ths are cheapest, then 32nds and triplets, then 1/12 beats.
LEVELS = (1, 2, 4, 8, 3, 6, 12)
LEVEL_COST = (1.0, 1.0, 1.0, 1.5, 1.25, 1.5, 2.0)
SNAP_TOLERANCE_BEATS = 1 / 16
PERFORMED_SHARE = 0.25  # of note starts and ends off the written positions
POLYPHONIC_SHARE = 0.25  # of a track's notes sounding with another note of the track
OVERLAP_TOLERANCE_BEATS = 1 / 8  # a legato overlap shorter than this is not a chord
# A silence in a voice shorter than this many of the reference's mean onset gaps (and than
# the note before it), in a performance, is the player's touch.
LEGATO_GAPS = 0.8
# Quarter notes in a bar of the usual meters (3/4 to 6/4 and 12/8): a bar that a change of
# note values would leave outside this span keeps its written meter instead.
BAR_BEATS = (3.0, 6.0)
# How far (a factor) a piece's mean time between onsets may lie from the reference's before
# its note values are halved or doubled. Chosen on the validation splits: at 1.8 (the
# beat follower's band) a tenth of the chorales written at twice or half their note values
# still lost 36-52 points; at 1.6 that tenth percentile is 0 for the chorales and
# Palestrina and -10 for folk, and no real validation piece of any profile changed.
NOTE_VALUE_BAND = 1.6


def canonical_form(
    score: Score, onset_gap: float = ONSET_GAP, bar_notes: float | None = None
) -> Score:
    """``score`` written out on its own beat where it was played off its grid
    (:func:`music.beats.follow_beat`), with performed timing snapped, in the reference
    music's note values, polyphonic tracks split into voices, and a performance's short
    silences between a voice's notes closed (the same object where none of these
    applies). ``onset_gap`` and ``bar_notes``: the mean beats between onsets, and the
    median notes a bar, of the music it is compared with."""
    snapped = snap_timing(follow_beat(score, onset_gap))
    voices = separate_voices(plain_note_values(snapped, onset_gap, bar_notes))
    return voices if snapped is score else close_gaps(voices, LEGATO_GAPS * onset_gap)


# ----- timing --------------------------------------------------------------------------


def snap_timing(score: Score) -> Score:
    """A performed piece's note starts and ends moved to their written positions; a
    piece as written is returned unchanged (the same object). Drums are snapped too."""
    times = np.fromiter(
        (x for t in score.tracks for n in t.notes for x in (n.start, n.end)), dtype=np.int64
    )
    if times.size == 0:
        return score
    snapped, off_grid = _snap(times, score.resolution)
    if float(off_grid.mean()) <= PERFORMED_SHARE:
        return score
    position = iter(snapped.reshape(-1, 2).tolist())
    tracks = []
    for track in score.tracks:
        notes = []
        for note in track.notes:
            start, end = next(position)
            if end <= start:  # a very short note whose ends met: keep its length
                end = start + note.duration
            notes.append(replace(note, start=start, duration=end - start))
        tracks.append(replace(track, notes=sorted(notes, key=NOTE_ORDER)))
    return replace(score, tracks=tracks)


def _snap(times: IntArray, resolution: int) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Each time's snapped tick, and whether it was off every written position."""
    candidates = np.empty((len(LEVELS), times.size), dtype=np.int64)
    for row, per_beat in enumerate(LEVELS):
        # The nearest multiple of 1/per_beat beat, in ticks (halves rounded up), exactly.
        index = (2 * times * per_beat + resolution) // (2 * resolution)
        candidates[row] = (2 * index * resolution + per_beat) // (2 * per_beat)
    distance = np.abs(candidates - times[None, :])
    off_grid = distance.min(axis=0) > 0
    cost = distance * np.asarray(LEVEL_COST)[:, None]
    cost[distance > SNAP_TOLERANCE_BEATS * resolution] = np.inf
    best = np.argmin(cost, axis=0)  # the plainest level wins a tie
    reachable = np.isfinite(cost.min(axis=0))
    snapped = np.where(reachable, candidates[best, np.arange(times.size)], times)
    return snapped, off_grid


# ----- note values ---------------------------------------------------------------------


def plain_note_values(
    score: Score, onset_gap: float = ONSET_GAP, bar_notes: float | None = None
) -> Score:
    """``score`` with every note value halved or doubled (up to ``LEVEL_STEPS`` times)
    until its mean time between onsets lies within a factor ``NOTE_VALUE_BAND`` of
    ``onset_gap`` quarter notes, as long as each change also brings the beat nearer the
    one a listener taps (so music that is slow at a usual tempo stays slow); every note
    sounds when it did. Each time, the bar lines stay, or the written meter does (bars
    merging in pairs or splitting in halves), whichever leaves bars holding nearer
    ``bar_notes`` notes, the reference music's median (None: whichever leaves bars
    nearer ``BAR_BEATS`` quarter notes; the bar lines on a tie). The same object where
    the note values already fit, or where there are too few onsets to say."""
    gap = mean_onset_gap(score)
    if gap is None:
        return score
    ratio, result = gap / onset_gap, score
    for _ in range(LEVEL_STEPS):
        if ratio > NOTE_VALUE_BAND and _taps_nearer(result.tempo, 2):
            shorter = _halved(result, bar_notes)
            if shorter is None:
                break
            result, ratio = shorter, ratio / 2
        elif ratio < 1 / NOTE_VALUE_BAND and _taps_nearer(result.tempo, 0.5):
            result, ratio = _doubled(result, bar_notes), ratio * 2
        else:
            break
    return result


def _taps_nearer(tempo: float, factor: float) -> bool:
    """Whether a beat ``factor`` times as long as the written one (at ``tempo`` bpm) lies
    nearer the beat a listener taps (``PREFERRED_BEAT_SECONDS``): quarter notes at 200
    bpm are heard as halves at 100, but at 100 bpm they are the beat."""
    beat = 60.0 / tempo
    now = abs(np.log(beat / PREFERRED_BEAT_SECONDS))
    return bool(abs(np.log(factor * beat / PREFERRED_BEAT_SECONDS)) < now)


def _halved(score: Score, bar_notes: float | None) -> Score | None:
    """Every note value halved: twice the ticks per quarter note, or half of every tick
    where the resolution cannot double (None where neither is exact)."""
    numerator, denominator = score.time_signature
    meter = _meter(score, (numerator, 2 * denominator), 2, bar_notes)
    if 2 * score.resolution <= MAX_RESOLUTION:
        return replace(
            score, resolution=2 * score.resolution, tempo=score.tempo / 2, time_signature=meter
        )
    if any(n.start % 2 or n.duration % 2 for t in score.tracks for n in t.notes):
        return None
    return replace(time_stretch(score, 0.5), tempo=score.tempo / 2, time_signature=meter)


def _doubled(score: Score, bar_notes: float | None) -> Score:
    """Every note value doubled: half the ticks per quarter note, or twice every tick."""
    numerator, denominator = score.time_signature
    kept = (numerator, denominator // 2) if denominator % 2 == 0 else None
    meter = _meter(score, kept, 0.5, bar_notes)
    if score.resolution % 2 == 0:
        return replace(
            score, resolution=score.resolution // 2, tempo=score.tempo * 2, time_signature=meter
        )
    return replace(time_stretch(score, 2), tempo=score.tempo * 2, time_signature=meter)


def _meter(
    score: Score, bars_kept: tuple[int, int] | None, merged: float, bar_notes: float | None
) -> tuple[int, int]:
    """The meter once every note value changes: ``bars_kept`` (the bar lines where they
    were, the same notes a bar) or the written meter (``merged`` times the notes a bar:
    2 where note values halve, 0.5 where they double), whichever bar is nearer the
    reference's (see :func:`plain_note_values`)."""
    if bars_kept is None:
        return score.time_signature
    if bar_notes is None:
        low, high = BAR_BEATS
        beats = 4 * score.time_signature[0] / score.time_signature[1]
        kept = max(low - beats / merged, beats / merged - high, 0.0)
        written = max(low - beats, beats - high, 0.0)
    else:
        pitched = sum(len(t.notes) for t in score.pitched_tracks())
        notes = max(pitched, 1) / max(1, score.bar_count) / bar_notes
        kept, written = abs(np.log(notes)), abs(np.log(notes * merged))
    return bars_kept if kept <= written else score.time_signature


# ----- articulation --------------------------------------------------------------------


def close_gaps(score: Score, longest: float = LEGATO_GAPS * ONSET_GAP) -> Score:
    """Each pitched track's notes held on to the track's next onset where the silence
    before it is at most ``longest`` beats and no longer than the note (the same object
    where no note is)."""
    limit = longest * score.resolution
    tracks, changed = [], False
    for track in score.tracks:
        if track.is_drum or len(track.notes) < 2:
            tracks.append(track)
            continue
        onsets = np.unique(np.fromiter((n.start for n in track.notes), dtype=np.int64))
        notes = []
        for note in track.notes:
            after = int(np.searchsorted(onsets, note.start, side="right"))
            gap = int(onsets[after]) - note.end if after < onsets.size else 0
            if 0 < gap <= limit and gap <= note.duration:
                note = replace(note, duration=note.duration + gap)
                changed = True
            notes.append(note)
        tracks.append(replace(track, notes=notes))
    return replace(score, tracks=tracks) if changed else score


# ----- layout --------------------------------------------------------------------------


def separate_voices(score: Score) -> Score:
    """Every polyphonic pitched track replaced by its voices, top voice first (the same
    object where no track is polyphonic)."""
    tolerance = max(1, round(OVERLAP_TOLERANCE_BEATS * score.resolution))
    if not any(_is_polyphonic(t, tolerance) for t in score.tracks):
        return score
    tracks: list[Track] = []
    for track in score.tracks:
        if not _is_polyphonic(track, tolerance):
            tracks.append(track)
            continue
        voices = _voices(sorted(track.notes), tolerance)
        tracks += [
            replace(
                track, notes=sorted(notes, key=NOTE_ORDER), name=f"{track.name} voice {i}".strip()
            )
            for i, notes in enumerate(voices, start=1)
            if notes
        ]
    return replace(score, tracks=tracks)


def _is_polyphonic(track: Track, tolerance: int) -> bool:
    """Whether more than ``POLYPHONIC_SHARE`` of the track's notes sound with another of
    its notes: starting together, or starting while an earlier one has more than
    ``tolerance`` ticks left."""
    if track.is_drum or len(track.notes) < 2:
        return False
    notes = sorted(track.notes, key=NOTE_ORDER)
    starts = np.fromiter((n.start for n in notes), dtype=np.int64, count=len(notes))
    ends = np.fromiter((n.end for n in notes), dtype=np.int64, count=len(notes))
    together = np.zeros(len(notes), dtype=bool)
    same = starts[1:] == starts[:-1]
    together[1:] |= same
    together[:-1] |= same
    held = np.maximum.accumulate(ends)[:-1] > starts[1:] + tolerance  # an earlier note
    together[1:] |= held & ~same
    return float(together.mean()) > POLYPHONIC_SHARE


def _voices(notes: list[Note], tolerance: int) -> list[list[Note]]:
    """The notes (sorted by start) dealt into voices, index 0 the top voice."""
    chords: dict[int, list[Note]] = {}
    for note in notes:
        chords.setdefault(note.start, []).append(note)
    count = _voice_count(chords, tolerance)
    # A voice not yet heard is expected at its share of the track's range, top down.
    pitches = np.array([n.pitch for n in notes], dtype=np.float64)
    expected = np.quantile(pitches, 1 - (np.arange(count) + 0.5) / count).tolist()
    voices: list[list[Note]] = [[] for _ in range(count)]
    for start, chord in chords.items():
        free = [v for v in range(count) if not voices[v] or voices[v][-1].end <= start + tolerance]
        last = [voices[v][-1].pitch if voices[v] else expected[v] for v in free]
        chord = sorted(chord, key=lambda n: -n.pitch)
        for note, slot in zip(chord, _ordered_assignment(chord, last), strict=True):
            voices[free[slot]].append(note)
    return voices


def _voice_count(chords: dict[int, list[Note]], tolerance: int) -> int:
    """The most notes sounding at one onset (held ones included)."""
    ends: list[int] = []
    most = 1
    for start, chord in chords.items():
        ends = [e for e in ends if e > start + tolerance] + [n.end for n in chord]
        most = max(most, len(ends))
    return most


def _ordered_assignment(chord: list[Note], last: list[float]) -> list[int]:
    """For a chord sorted high to low, the free voices (top down, last pitches ``last``)
    each note takes: in order, each voice at most once, moving the voices least."""
    m, k = len(chord), len(last)
    cost = np.full((m + 1, k + 1), np.inf)
    cost[0, :] = 0.0
    for i in range(1, m + 1):
        for j in range(i, k + 1):
            take = cost[i - 1, j - 1] + abs(chord[i - 1].pitch - last[j - 1])
            cost[i, j] = min(cost[i, j - 1], take)
    slots, j = [], k
    for i in range(m, 0, -1):
        while cost[i, j] == cost[i, j - 1]:  # voice j - 1 not taken: skip it
            j -= 1
        slots.append(j - 1)
        j -= 1
    return slots[::-1]
