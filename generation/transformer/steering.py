"""Steering a continuation: voices, ranges, a final cadence and a memory of the input's bars.

The :class:`~generation.transformer.tokens.Grammar` keeps a continuation in meter; the
:class:`Steering` around it narrows what the grammar allows so that the result reads as
music a musician would keep (issue 17). Everything is in the model's pitch space (the
input's key moved to C, so the tonic is pitch class 0).

- **Voices** (:class:`Voices`): a polyphonic continuation keeps ``voices`` voices, ranked
  from the top (voice 0 is the melody). At each onset the new notes go, highest first, to
  the voices that are free (their note has ended), from the top down, so a voice holds one
  note at a time. Each new note must lie strictly between the sounding voices around its
  own (voices never cross, the melody stays on top) and in its voice's range, and it may
  not make a parallel (or contrary) fifth or octave with a voice that also moved at this
  onset.
- **Range**: every voice has a range (:class:`Plan.ranges`, from the input's own
  register); nothing is sampled outside it.
- **Cadence** (:func:`cadence_step`): the last onset falls on the latest strong beat that
  leaves the final note(s) held for at least two beats (one in a two-beat bar), every
  voice re-enters there, the melody and the bass on the tonic and the inner voices on
  the tonic triad; no note sounds across that beat.
- **Motif memory** (:meth:`Steering.copy_weights`): the bars of the whole input are kept
  as token sequences; whenever the bar sampled so far is a prefix of one of them, the
  next token of those bars gets a share of the probability (:data:`COPY_START` before a
  bar's first note is matched, :data:`COPY_CONTINUE` once a note is), so input bars come
  back as real tunes bring them back, rather than only as often as the model happens to.

When the constraints leave no pitch for a note, they are dropped one at a time (the tonic
in the bass, so that a bass forced into octaves with the melody takes another note of the
tonic triad; then the triad; then the parallels; last the order and range) rather than
leave a voice silent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from generation.transformer.tokens import MAX_DURATION, VOCAB, Grammar, GridNote

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
PERFECT = (0, 7)  # unison/octave and fifth, modulo the octave
COPY_START = 0.15  # share of the next token's probability given to the input's bars
COPY_CONTINUE = 0.6  # ... once the bar so far already repeats a note of an input bar
REPEAT_PENALTY = 0.35  # subtracted from the logit of repeating the melody's last pitch
LEAP_PENALTY = 0.6  # ... per semitone a voice of a polyphonic continuation leaps past a tone
MELODY_LEAP_PENALTY = 0.0  # ... for a melody alone (0.15 and 0.3 made validation C2ST worse)
CLASH_PENALTY = 2.0  # ... per sounding voice a semitone (or a seventh, a ninth) away
COMPOUND = {6, 9, 12}  # numerators of compound meters (over 8 or 16): pulses of three


# ----- the cadence ---------------------------------------------------------------------


def pulse_steps(time_signature: tuple[int, int], bar_size: int) -> int:
    """Steps in one pulse: the denominator's note, or three of them in compound meters."""
    numerator, denominator = time_signature
    beat = bar_size // numerator
    return 3 * beat if numerator in COMPOUND and denominator >= 8 else beat


def cadence_step(
    time_signature: tuple[int, int], bar_size: int, *, min_step: int, end_step: int
) -> int:
    """Where the final onset goes: the latest strong beat (a bar line, or the middle of a
    bar of four pulses or more) at least two pulses before ``end_step`` (one in a bar of
    two pulses); ``min_step`` if there is none in the extension."""
    pulse = pulse_steps(time_signature, bar_size)
    pulses = max(1, bar_size // pulse)
    hold = pulse if pulses <= 2 else 2 * pulse
    strong = [0, (pulses // 2) * pulse] if pulses >= 4 and pulses % 2 == 0 else [0]
    first_bar = min_step // bar_size
    best = min_step
    for bar in range(first_bar, end_step // bar_size + 1):
        for offset in strong:
            step = bar * bar_size + offset
            if min_step <= step <= end_step - hold:
                best = max(best, step)
    return best


# ----- voices --------------------------------------------------------------------------


class Voices:
    """Which voice each new note goes to: at an onset, the free voices (their note has
    ended) take the new notes from the top down, highest note first."""

    def __init__(self, count: int, previous: Sequence[int | None], start: int) -> None:
        self.count = count
        self.pitch: list[int | None] = list(previous)  # the last pitch of each voice
        self.end = [start] * count  # when each voice's note ends
        self.onset = -1
        self.free: list[int] = []  # voices taking new notes at this onset, top first
        self.filled = 0  # new notes so far at this onset
        self.moved: dict[int, tuple[int, int]] = {}  # voice -> (from, to) at this onset

    def at(self, onset: int) -> None:
        if onset != self.onset:
            self.onset, self.filled, self.moved = onset, 0, {}
            self.free = [v for v in range(self.count) if self.end[v] <= onset]

    def next_voice(self) -> int | None:
        return self.free[self.filled] if self.filled < len(self.free) else None

    def add(self, pitch: int, end: int) -> int | None:
        """Records a new note at the current onset; returns its voice (None: no voice free)."""
        voice = self.next_voice()
        if voice is None:
            return None
        before = self.pitch[voice]
        if before is not None and before != pitch:
            self.moved[voice] = (before, pitch)
        self.pitch[voice], self.end[voice] = pitch, end
        self.filled += 1
        return voice

    def assign(self, notes: Sequence[GridNote]) -> list[int | None]:
        """The voice of each note (in token order: by onset, highest first)."""
        voices = []
        for note in notes:
            self.at(note.start)
            voices.append(self.add(note.pitch, note.end))
        return voices


def previous_voices(prompt: Sequence[GridNote], count: int) -> list[int | None]:
    """Each voice's pitch in the prompt's last chord (the notes sounding at its last onset),
    top voice first; None for a voice the prompt does not have (a melody's lower voices)."""
    if not prompt:
        return [None] * count
    last = max(n.start for n in prompt)
    chord = sorted({n.pitch for n in prompt if n.start <= last < n.end}, reverse=True)
    if len(chord) >= count:
        if count == 1:
            return [chord[0]]
        return [chord[round(i * (len(chord) - 1) / (count - 1))] for i in range(count)]
    missing = count - len(chord)
    return [chord[0], *[None] * missing, *chord[1:]]


def parallel_pitches(moved: dict[int, tuple[int, int]], before: int | None) -> BoolArray:
    """(128,) the pitches that would move a voice from ``before`` in parallel (or contrary)
    fifths or octaves with a voice that moved at this onset."""
    bad = np.zeros(128, dtype=np.bool_)
    if before is None:
        return bad
    pitches = np.arange(128)
    for other_before, other_after in moved.values():
        interval = abs(before - other_before) % 12
        if interval in PERFECT:
            bad |= (np.abs(pitches - other_after) % 12 == interval) & (pitches != before)
    return bad


# ----- the steering --------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """What a :class:`Steering` enforces, from the plan (model pitch space)."""

    voices: int  # 1 for a melody
    ranges: tuple[tuple[int, int], ...]  # inclusive, per voice
    previous: tuple[int | None, ...]  # each voice's last pitch in the prompt
    min_step: int
    end_step: int
    cadence: int  # the final onset's step (see cadence_step)
    triad: tuple[int, ...]  # pitch classes of the tonic triad (tonic first)
    bars: tuple[tuple[int, ...], ...]  # the input's bars as tokens (without Bar)


class Steering:
    """The grammar's allowed tokens narrowed by :class:`Rules` (see the module doc)."""

    def __init__(self, grammar: Grammar, rules: Rules) -> None:
        self.grammar, self.rules = grammar, rules
        self.voices = Voices(rules.voices, rules.previous, rules.min_step)
        self.generating = False  # whether the prompt is over
        self.depth = 0  # tokens since the last Bar (while generating)
        self.matching: list[tuple[int, ...]] = []  # input bars that start like this bar
        self.started = False  # whether this bar already repeats a whole note of them
        self.pending = -1  # the pitch awaiting its duration

    def start(self) -> None:
        """Marks the end of the prompt: from here on, tokens are the continuation's."""
        self.generating = True
        self._new_bar()

    def _new_bar(self) -> None:
        self.depth, self.matching, self.started = 0, list(self.rules.bars), False

    def advance(self, token: int) -> None:
        self.grammar.advance(token)
        if not self.generating:
            return
        if token == VOCAB.BAR:
            self._new_bar()
        else:
            depth = self.depth
            self.matching = [b for b in self.matching if len(b) > depth and b[depth] == token]
            self.depth += 1
            self.started = self.started or token >= VOCAB.duration
        grammar = self.grammar
        if VOCAB.position <= token < VOCAB.pitch:
            self.voices.at(grammar.onset)
        elif VOCAB.pitch <= token < VOCAB.duration:
            self.pending = token - VOCAB.pitch
        elif token >= VOCAB.duration:
            self.voices.add(self.pending, grammar.onset + token - VOCAB.duration + 1)

    # ----- what may come next ----------------------------------------------------------

    def allowed(self) -> BoolArray:
        mask = self.grammar.allowed().copy()
        if not self.generating:
            return mask
        grammar = self.grammar
        if grammar.last == VOCAB.pitch:
            return mask & self._durations()
        pitches = mask[VOCAB.pitch : VOCAB.duration]
        if pitches.any() and grammar.onset >= self.rules.min_step:
            mask[VOCAB.pitch : VOCAB.duration] = self._pitches(pitches)
        self._limit_time(mask)
        return mask

    def _durations(self) -> BoolArray:
        onset, rules = self.grammar.onset, self.rules
        mask = np.zeros(VOCAB.size, dtype=np.bool_)
        if onset >= rules.cadence:  # the final chord: held to the end
            longest = min(max(rules.end_step - onset, 1), MAX_DURATION)
            mask[VOCAB.duration + longest - 1] = True
        else:  # nothing sounds across the cadence
            longest = min(rules.cadence - onset, MAX_DURATION)
            mask[VOCAB.duration : VOCAB.duration + longest] = True
        return mask

    def _limit_time(self, mask: BoolArray) -> None:
        """No onset after the cadence, and no bar line past it."""
        grammar, cadence = self.grammar, self.rules.cadence
        first_late = cadence + 1 - grammar.bar_start  # position index of the first late step
        start = VOCAB.position + max(first_late, 0)
        mask[start : VOCAB.pitch] = False
        if grammar.bar_start + grammar.bar_size > cadence:
            mask[VOCAB.BAR] = False

    def _pitches(self, allowed: BoolArray) -> BoolArray:
        """The grammar's ``allowed`` pitches (128,) narrowed for the next note's voice,
        dropping constraints one at a time while nothing is left."""
        voice = self.voices.next_voice()
        if voice is None:
            return allowed
        layers = [  # the last dropped first
            self._in_place(voice),
            ~parallel_pitches(self.voices.moved, self.voices.pitch[voice]),
            self._cadence_chord(voice, strict=False),
            self._cadence_chord(voice, strict=True),
        ]
        for kept in range(len(layers), -1, -1):
            mask = allowed.copy()
            for layer in layers[:kept]:
                mask &= layer
            if mask.any():
                return mask
        return allowed

    def _in_place(self, voice: int) -> BoolArray:
        """(128,) pitches in the voice's range and strictly between the sounding voices
        around it, leaving a semitone for each free voice below it."""
        rules, voices = self.rules, self.voices
        low, high = rules.ranges[voice]
        held = [v for v in range(rules.voices) if v not in voices.free]
        above = [p for v in held if v < voice and (p := voices.pitch[v]) is not None]
        below = [(v, p) for v in held if v > voice and (p := voices.pitch[v]) is not None]
        if above:
            high = min(high, above[-1] - 1)
        if below:
            nearest, pitch = below[0]
            room = sum(v in voices.free for v in range(voice + 1, nearest))
            low = max(low, pitch + 1 + room)
        else:
            lower = [rules.ranges[v][0] for v in voices.free if v > voice]
            low = max(low, min(lower, default=0) + len(lower))
        mask = np.zeros(128, dtype=np.bool_)
        mask[max(low, 0) : min(high, 127) + 1] = True
        return mask

    def _cadence_chord(self, voice: int, *, strict: bool) -> BoolArray:
        """(128,) at the cadence: the tonic triad, and (``strict``) the tonic itself for
        the melody and the bass; anything elsewhere."""
        rules = self.rules
        if self.grammar.onset != rules.cadence:
            return np.ones(128, dtype=np.bool_)
        outer = strict and (voice == 0 or voice == rules.voices - 1)
        classes = rules.triad[:1] if outer else rules.triad
        return np.isin(np.arange(128) % 12, classes)

    def adjust(self, logits: FloatArray) -> FloatArray:
        """``logits`` with soft voice-leading priors on the next note's pitch: a melody note
        repeated (the network repeats about twice as often as real tunes do), a leap
        beyond a whole tone in any voice (costed per semitone), and in a polyphonic
        continuation a semitone (or major seventh, minor ninth) against a sounding voice
        (:data:`REPEAT_PENALTY`, :data:`LEAP_PENALTY`, :data:`MELODY_LEAP_PENALTY`,
        :data:`CLASH_PENALTY`)."""
        voices = self.voices
        voice = voices.next_voice()
        last = self.grammar.last
        if not self.generating or voice is None or last not in (VOCAB.position, VOCAB.duration):
            return logits  # no pitch can come next
        before = voices.pitch[voice]
        adjusted = logits.copy()
        if voice == 0 and last == VOCAB.position and before is not None:
            adjusted[VOCAB.pitch + before] -= REPEAT_PENALTY
        leap = LEAP_PENALTY if self.rules.voices > 1 else MELODY_LEAP_PENALTY
        if not leap and self.rules.voices == 1:
            return adjusted  # a melody: the repeat is all (and this runs every note)
        cost = np.zeros(128)
        pitches = np.arange(128)
        if before is not None:
            cost += leap * np.maximum(np.abs(pitches - before) - 2, 0)
        if self.rules.voices > 1:
            waiting = set(voices.free[voices.filled :])
            for other in range(self.rules.voices):
                sounding = voices.pitch[other]
                if other not in waiting and sounding is not None:
                    cost += CLASH_PENALTY * np.isin(np.abs(pitches - sounding) % 12, (1, 11))
        adjusted[VOCAB.pitch : VOCAB.duration] -= cost
        return adjusted

    # ----- memory of the input's bars --------------------------------------------------

    def copy_weights(self, allowed: BoolArray) -> tuple[FloatArray, float] | None:
        """The next tokens of the input bars that the bar so far is a prefix of, as a
        distribution over the allowed tokens, with the share it should get; None if none."""
        if not self.generating:
            return None
        if not self.matching:
            return None
        weights = np.zeros(VOCAB.size)
        depth = self.depth
        for bar in self.matching:
            weights[bar[depth] if len(bar) > depth else VOCAB.BAR] += 1.0
        weights *= allowed
        total = weights.sum()
        if total <= 0:
            return None
        return weights / total, COPY_CONTINUE if self.started else COPY_START
