"""The beat of a played piece, and the piece written out on it.

A piece played in without the click, or a performance a sequencer saved at its default
120 bpm, holds the music at the player's own tempo, which breathes and drifts, on a grid
that has nothing to do with it: its notated beats are not its beats. Everything that
reads rhythm on the notated grid (the judge's windows and descriptors, strong and weak
beats) then reads noise: such a chorale scored 2-18 out of 100 against 85 for the same
notes written out. :func:`follow_beat` finds the beats the way a listener taps them and
writes the piece out again on them:

1. **Written?** A piece whose note starts lie exactly on written positions (24 a beat:
   32nds and 16th-note triplets), ``EXACT_SHARE`` of them or more, is written (every
   corpus piece, every quantised file): it is returned as it is, the same object. So is
   a piece with fewer than ``MIN_ONSETS`` distinct starts, or longer than
   ``LONGEST_SECONDS``.
2. **The pulse.** The note starts become an onset envelope in 20 ms frames (a chord or a
   long note counts more than a short note alone); its autocorrelation, weighted by a
   log-normal preference around ``PREFERRED_BEAT_SECONDS`` (the usual prior of beat
   trackers), gives the beat period.
3. **The beats.** Dynamic programming places one beat after another, each on the
   strongest onsets it can reach while the spacing departs from the period as little as
   it must (Ellis, "Beat tracking by dynamic programming", 2007), so a player who slows
   down or hurries is followed.
4. **Which level.** A tracked beat may be a written half beat or two beats. The mean time
   between onsets is brought within a factor ``LEVEL_BAND`` of ``onset_gap`` (the
   reference music's own, in quarter notes: 0.63 for the chorales and folk tunes, 1.56
   for Palestrina in 4/2) by taking every other beat or splitting each in two. A beat
   whose onsets fall on its thirds far more than on its halves is a compound beat: a
   dotted quarter, the meter written in eighths (6/8, 9/8, 12/8).
5. **Written out** at ``RESOLUTION`` ticks per quarter note, each note's start and end
   placed between the two beats around it in proportion, the bar lines where the long
   notes fall (:func:`bar_phase`), the tempo the median beat's.
6. **Kept only if it reads better.** Both readings, the file's notation and the tracked
   beats, are scored by :func:`fit` (onsets on a 16th or triplet grid, long notes on the
   beats, onsets as far apart as in the reference); the new one replaces the notation
   only when it is ``GAIN`` better. A performance in time with its click keeps its
   notation (and :func:`music.canonical.snap_timing` puts its notes back on the grid).
   Random onsets get a reading too (a tracker always finds some beat), which leaves them
   as random as before: the judge scores them as the noise they are.

Pure numpy, deterministic; about 20 ms for a minute of music.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from music.score import NOTE_ORDER, Note, Score

FloatArray = npt.NDArray[np.float64]

FRAME_SECONDS = 0.02
SMOOTHING_SECONDS = 0.02  # an onset's spread in the envelope (a player's timing)
CHORD_SECONDS = 0.05  # onsets nearer than this are one event (a chord)
CHORD_BEATS = 0.1  # ... or than this, in beats
MIN_ONSETS = 8  # fewer distinct note starts carry no beat worth finding
EXACT_SHARE = 0.75  # of the starts exactly on a written position: a written piece
GAIN = 0.1  # how much better the new reading must fit to replace the notation
LEVEL_COST = 0.5  # of fit, per factor of e between a reading's onset gap and the reference's
PREFERRED_BEAT_SECONDS = 0.7  # about 86 bpm, the middle of the corpora's tactus
PRIOR_OCTAVES = 1.0  # width (standard deviation, in octaves of tempo) of that preference
SHORTEST_BEAT, LONGEST_BEAT = 0.25, 2.0  # seconds
TIGHTNESS = 100.0  # Ellis's alpha: how much a beat may depart from the period
ONSET_GAP = 0.6  # mean beats between onsets where no reference says (profiles: 0.63-1.56)
LEVEL_STEPS = 3  # halvings or doublings of the tracked beat, at most
LEVEL_BAND = 1.8  # ... made while the onset gap is further than this factor from the reference's
RESOLUTION = 480
LONGEST_BAR = 8  # beats: a longer bar in the file is counted in its numerator's quarters
WRITTEN_LEVELS = (4, 3)  # written positions per beat: 16ths and triplet 8ths
GRID_TOLERANCE = 0.06  # beats: how near a written position a played onset lies
SALIENT_SECONDS = 0.6  # a note this long weighs fully in the onset envelope
LONGEST_SECONDS = 1200.0  # longer pieces are left as they are (the tracker's time)


@dataclass(frozen=True)
class Beats:
    """Beat times in seconds (the file's clock), and how one beat is written."""

    times: FloatArray
    per_beat: float  # quarter notes a beat: 1 (simple meters) or 1.5 (compound)

    @property
    def period(self) -> float:
        return float(np.median(np.diff(self.times))) if self.times.size > 1 else 0.0


def follow_beat(score: Score, onset_gap: float = ONSET_GAP) -> Score:
    """``score`` written out on its own beat where it was played off its notated grid
    (see the module); the same object where it is written, or where no beat fits it
    better than its notation. ``onset_gap``: the mean beats between onsets in the music
    the piece is compared with, which decides what a beat is (see the module)."""
    starts, weights, ends = _starts(score)
    if np.unique(starts).size < MIN_ONSETS or _written(starts, score.resolution):
        return score
    seconds = _seconds(score)
    if (ends.max() - starts.min()) * seconds > LONGEST_SECONDS:
        return score
    beats = track_beats(starts * seconds, weights, onset_gap)
    if beats is None:
        return score
    unit = 1.5 if _compound(score.time_signature) else 1.0
    before = fit(starts / score.resolution, ends / score.resolution, weights, onset_gap, unit)
    read = beat_positions(beats.times, np.concatenate([starts, ends]) * seconds)
    read = read.reshape(2, -1) * beats.per_beat
    after = fit(read[0], read[1], weights, onset_gap, beats.per_beat)
    return write_out(score, beats) if after >= before + GAIN else score


def mean_onset_gap(score: Score) -> float | None:
    """The mean quarter notes between the pitched notes' onsets as written (the notes of
    a chord, ``CHORD_BEATS`` apart at most, one onset); None with fewer than
    ``MIN_ONSETS`` onsets."""
    starts = np.unique(
        np.fromiter((n.start for t in score.pitched_tracks() for n in t.notes), dtype=np.int64)
    )
    if starts.size < MIN_ONSETS:
        return None
    events = _events(starts / score.resolution, CHORD_BEATS)
    return float(np.mean(np.diff(events))) if events.size > 1 else None


def fit(
    starts: FloatArray,
    ends: FloatArray,
    weights: FloatArray,
    onset_gap: float,
    unit: float = 1.0,
) -> float:
    """How well a reading of the onsets (``starts`` and the ``ends`` of the longest note
    starting there, in quarter notes; ``unit`` quarter notes a beat: 1.5 in 6/8) fits
    written music like the reference: its :func:`alignment` on its beats, less
    ``LEVEL_COST`` for each factor of e by which its mean quarter notes between onsets
    miss ``onset_gap``."""
    events = _events(starts, CHORD_BEATS)
    gap = float(np.mean(np.diff(events))) if events.size > 1 else onset_gap
    aligned = alignment(starts / unit, ends / unit, weights)
    return aligned - LEVEL_COST * abs(np.log(gap / onset_gap))


def alignment(starts: FloatArray, ends: FloatArray, weights: FloatArray) -> float:
    """How well onsets at ``starts`` (in beats; ``ends``: where the longest note begun
    there ends) sit on a written grid, 0 to 1. Half of it is the share (by ``weights``)
    within ``GRID_TOLERANCE`` of a 16th, or of a triplet 8th, whichever holds more; the
    other half is how squarely the long notes sit on the beats (the mean cosine of
    their phase, weighted by the square of their length up to two beats; nothing where
    it is negative). Written music is near 1; the same music read against a grid that is
    not its beat (shifted by a fraction of a beat, or at another tempo) is far below."""
    total = float(np.sum(weights)) or 1.0
    on_grid = 0.0
    for per_beat in WRITTEN_LEVELS:
        scaled = starts * per_beat
        near = np.abs(scaled - np.round(scaled)) <= GRID_TOLERANCE * per_beat
        on_grid = max(on_grid, float(np.sum(weights * near)) / total)
    length = np.clip(ends - starts, 0.0, 2.0) ** 2
    phase = float(np.sum(length * np.cos(2 * np.pi * starts))) / (float(np.sum(length)) or 1.0)
    return (on_grid + max(phase, 0.0)) / 2


def _compound(time_signature: tuple[int, int]) -> bool:
    """6/8, 9/8, 12/8 (and the same over 16): beats of three eighths."""
    numerator, denominator = time_signature
    return denominator >= 8 and numerator % 3 == 0 and numerator > 3


def _written(starts: FloatArray, resolution: int) -> bool:
    """Whether ``EXACT_SHARE`` of the starts lie on a written position (24 a beat: 32nds
    and 16th-note triplets) to the tick, as in a quantised file (a triplet at 1000 ticks
    a beat is stored at 333). Where the positions fall on whole ticks the start must be
    on one exactly: at 96 ticks a beat a position comes every 4 ticks, and a tick of
    slack either way would pass three played starts in four as written."""
    step = resolution / 24
    slack = 0.0 if step.is_integer() else 1.0
    off = np.abs(starts - np.round(starts / step) * step)
    return float(np.mean(off <= slack)) >= EXACT_SHARE


def track_beats(
    onsets: FloatArray, weights: FloatArray, onset_gap: float = ONSET_GAP
) -> Beats | None:
    """The beats of onsets at ``onsets`` seconds (with salience ``weights``), or None
    where there is no pulse to follow."""
    start = float(onsets.min())
    envelope = _envelope(onsets - start, weights)
    period = _period(envelope)
    if period is None:
        return None
    frames = _dynamic_beats(envelope, period)
    if frames.size < 2:
        return None
    times = frames.astype(np.float64) * FRAME_SECONDS + start
    return _level(times, onsets, onset_gap)


def beat_positions(times: FloatArray, seconds: FloatArray) -> FloatArray:
    """Each of ``seconds`` as a position in beats: beat ``k`` at ``times[k]``, linear in
    between, the first and last beat's spacing carried on outside them."""
    first = times[1] - times[0]
    last = times[-1] - times[-2]
    inside = np.interp(seconds, times, np.arange(times.size, dtype=np.float64))
    before = (seconds - times[0]) / first
    after = times.size - 1 + (seconds - times[-1]) / last
    return np.where(seconds < times[0], before, np.where(seconds > times[-1], after, inside))


def write_out(score: Score, beats: Beats) -> Score:
    """The piece with every note's start and end at its beat position, ``RESOLUTION``
    ticks per quarter note, its bar lines where its long notes say (:func:`bar_phase`)."""
    seconds = _seconds(score)
    numerator, denominator = score.time_signature
    if beats.per_beat == 1.5 and denominator == 4:
        time_signature = (numerator * 3, 8)  # a compound beat: the meter in eighths
    elif 4 * numerator / denominator / beats.per_beat > LONGEST_BAR:
        time_signature = (numerator, 4)  # a bar of whole notes (3/1) played in quarters
    else:
        time_signature = score.time_signature
    played = [(t, n) for t, track in enumerate(score.tracks) for n in track.notes]
    times = np.array([(n.start, n.end) for _, n in played], dtype=np.float64) * seconds
    positions = beat_positions(beats.times, times.ravel()).reshape(-1, 2)
    origin = np.floor(positions[:, 0].min())
    positions -= origin - bar_phase(positions - origin, time_signature, beats.per_beat)
    at = np.round(positions * RESOLUTION * beats.per_beat).astype(np.int64)
    notes: list[list[Note]] = [[] for _ in score.tracks]
    for (track, note), (start, end) in zip(played, at, strict=True):
        notes[track].append(replace(note, start=int(start), duration=max(1, int(end - start))))
    tracks = [
        replace(track, notes=sorted(ns, key=NOTE_ORDER)) if track.notes else track
        for track, ns in zip(score.tracks, notes, strict=True)
    ]
    tempo = 60.0 / (beats.period / beats.per_beat)
    return replace(
        score, tracks=tracks, resolution=RESOLUTION, tempo=tempo, time_signature=time_signature
    )


def bar_phase(positions: FloatArray, time_signature: tuple[int, int], per_beat: float) -> int:
    """Beats of rest to put before notes at ``positions`` ((notes, 2) starts and ends, in
    beats from the first onset's beat) so that the long notes fall where the meter's
    strong beats are: each note on a beat weighs its length (up to a bar), a bar's first
    beat counts twice, the meter's other beats (each half note in 4/2, each dotted
    quarter in 6/8, the middle of a 4/4 bar) once. A player's recording has no bar
    lines; a piece that opens on an upbeat gets its upbeat."""
    numerator, denominator = time_signature
    bar = max(1, round(4 * numerator / denominator / per_beat))
    unit = max(1, round((1.5 if _compound(time_signature) else 4 / denominator) / per_beat))
    weight = np.zeros(bar)
    weight[::unit] = 1.0
    if bar % 2 == 0:
        weight[bar // 2] = 1.0
    weight[0] = 2.0
    starts = positions[:, 0]
    on_beat = np.abs(starts - np.round(starts)) < 0.15
    index = np.round(starts[on_beat]).astype(np.int64)
    length = np.minimum(positions[on_beat, 1] - starts[on_beat], bar)
    scores = [float(np.sum(length * weight[(index + shift) % bar])) for shift in range(bar)]
    return int(np.argmax(scores))


# ----- the pieces of the tracker -------------------------------------------------------


def _seconds(score: Score) -> float:
    return 60.0 / (score.tempo * score.resolution)


def _starts(score: Score) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Distinct note starts (ticks), their salience (each note starting there counts from
    0.5, very short, to 1, ``SALIENT_SECONDS`` or longer: chords and long notes weigh
    more) and where the longest of their notes ends (ticks)."""
    by_start: dict[int, float] = {}
    longest: dict[int, int] = {}
    salient = max(1.0, SALIENT_SECONDS / _seconds(score))
    for track in score.tracks:
        for note in track.notes:
            length = min(note.duration / salient, 1.0)
            by_start[note.start] = by_start.get(note.start, 0.0) + 0.5 + 0.5 * length
            longest[note.start] = max(longest.get(note.start, 0), note.end)
    if not by_start:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    starts = sorted(by_start)
    return (
        np.array(starts, dtype=np.float64),
        np.array([by_start[s] for s in starts], dtype=np.float64),
        np.array([longest[s] for s in starts], dtype=np.float64),
    )


def _envelope(onsets: FloatArray, weights: FloatArray) -> FloatArray:
    frames = np.round(onsets / FRAME_SECONDS).astype(np.int64)
    envelope = np.zeros(int(frames.max()) + int(LONGEST_BEAT / FRAME_SECONDS) + 1)
    np.add.at(envelope, frames, weights)
    spread = SMOOTHING_SECONDS / FRAME_SECONDS
    reach = int(np.ceil(3 * spread))
    kernel = np.exp(-0.5 * (np.arange(-reach, reach + 1) / spread) ** 2)
    return np.convolve(envelope, kernel / kernel.sum(), mode="same")


def _period(envelope: FloatArray) -> float | None:
    """The beat period in frames: the autocorrelation's peak under the tempo prior."""
    size = 1 << int(np.ceil(np.log2(2 * envelope.size)))
    spectrum = np.fft.rfft(envelope - envelope.mean(), size)
    correlation = np.fft.irfft(spectrum * np.conj(spectrum), size)[: envelope.size]
    lags = np.arange(
        int(SHORTEST_BEAT / FRAME_SECONDS), min(int(LONGEST_BEAT / FRAME_SECONDS), envelope.size)
    )
    if lags.size == 0 or correlation[0] <= 0:
        return None
    octaves = np.log2(lags * FRAME_SECONDS / PREFERRED_BEAT_SECONDS)
    strength = correlation[lags] * np.exp(-0.5 * (octaves / PRIOR_OCTAVES) ** 2)
    best = int(np.argmax(strength))
    if strength[best] <= 0:
        return None
    # A parabola through the peak and its neighbours: the period to a fraction of a frame.
    if 0 < best < lags.size - 1:
        a, b, c = strength[best - 1 : best + 2]
        bend = a - 2 * b + c
        return float(lags[best] + (0.5 * (a - c) / bend if bend < 0 else 0.0))
    return float(lags[best])


def _dynamic_beats(envelope: FloatArray, period: float) -> npt.NDArray[np.int64]:
    """Ellis's dynamic programme: the best chain of beats, in frames, each beat's gap
    from the one before costed by how far it departs from ``period`` (frames)."""
    size = envelope.size
    gaps = np.arange(max(1, round(period / 2)), round(2 * period) + 1)
    penalty = -TIGHTNESS * np.log(gaps / period) ** 2
    envelope = envelope / (envelope.std() or 1.0)
    total = envelope.copy()
    previous = np.full(size, -1, dtype=np.int64)
    for frame in range(int(gaps[0]), size):
        candidates = frame - gaps
        scores = np.where(candidates >= 0, total[np.maximum(candidates, 0)] + penalty, -np.inf)
        best = int(np.argmax(scores))
        if scores[best] > 0:
            total[frame] = envelope[frame] + scores[best]
            previous[frame] = candidates[best]
    # The chain ends on the best-scoring frame within a period of the end of the music.
    tail = size - int(LONGEST_BEAT / FRAME_SECONDS) - 1
    window = np.arange(max(0, tail - round(period)), max(tail + 1, 1))
    frame = int(window[np.argmax(total[window])])
    chain = []
    while frame >= 0:
        chain.append(frame)
        frame = int(previous[frame])
    return np.array(chain[::-1], dtype=np.int64)


def _level(times: FloatArray, onsets: FloatArray, onset_gap: float) -> Beats:
    """The tracked beats at the level the reference music is written at (see the
    module): the mean time between onsets brought within a factor of ``LEVEL_BAND`` of
    ``onset_gap`` beats, by taking every other beat or splitting each in two."""
    events = _events(onsets, CHORD_SECONDS)
    for _ in range(LEVEL_STEPS if events.size > 1 else 0):
        ratio = float(np.mean(np.diff(beat_positions(times, events)))) / onset_gap
        if ratio > LEVEL_BAND and times.size > 3:
            times = _stronger_half(times, onsets)  # tracked half beats: a beat is two
        elif ratio < 1 / LEVEL_BAND:  # tracked two beats at once: each is split in two
            times = np.sort(np.concatenate([times, (times[1:] + times[:-1]) / 2]))
        else:
            break
    positions = beat_positions(times, onsets)
    phase = positions - np.floor(positions)
    halves = np.mean(np.abs(phase - 0.5) < 0.08)
    thirds = np.mean((np.abs(phase - 1 / 3) < 0.06) | (np.abs(phase - 2 / 3) < 0.06))
    per_beat = 1.5 if thirds > 0.15 and thirds > 2 * halves else 1.0
    return Beats(times, per_beat)


def _events(onsets: FloatArray, apart: float) -> FloatArray:
    """Onsets no more than ``apart`` from the one before merged into one event (a chord's
    notes are never struck quite together), each at its first onset."""
    ordered = np.sort(onsets)
    first = np.concatenate([[True], np.diff(ordered) > apart])
    return ordered[first]


def _stronger_half(times: FloatArray, onsets: FloatArray) -> FloatArray:
    """Every other beat, from whichever of the first two beats more onsets fall near."""
    tolerance = 0.1 * float(np.median(np.diff(times)))
    counts = []
    for phase in (0, 1):
        kept = times[phase::2]
        nearest = np.abs(onsets[:, None] - kept[None, :]).min(axis=1)
        counts.append(int(np.sum(nearest <= tolerance)))
    return times[int(np.argmax(counts)) :: 2]
