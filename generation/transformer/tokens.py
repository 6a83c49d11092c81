"""Beat-based tokens for Scores (REMI-like), and the grammar that keeps sampling in meter.

One piece is one sequence: a style token and a meter token, then every bar as ``Bar``
followed by its onsets, each onset as ``Position`` (grid steps from the bar line) and one
``Pitch`` ``Duration`` pair per note starting there, highest pitch first; ``End`` closes a
whole piece. A melody costs three tokens a note and one a bar:
``Style_folk Meter_3/4 Bar Position_0 Pitch_67 Duration_4 Position_4 Pitch_69 ...``.

Why our own and not miditok: the grid, the meter and the bar are what the Transformer's
job is defined by (extend by whole beats, in the input's meter), so positions are bar
steps of the input's own time signature, and the vocabulary has a token per meter and
per corpus style; the sampler masks tokens with :class:`Grammar` so a continuation can
never leave the meter, start inside the input or run past the requested end. miditok's
REMI would give the same shape of sequence through symusic objects (a second score model
to convert to and from, plus its dependencies) without these two kinds of token, and we
would still need the grammar. Velocity is left out: every corpus note has velocity 80,
so generated notes take the velocity of the input's notes instead.

The grid is ``STEPS_PER_BEAT`` steps per quarter note (sixteenths: every onset in the
folk corpus and all but 0.01 % in the chorales). Durations are 1 to ``MAX_DURATION``
steps (longer notes are cut to four 4/4 bars). Bars may be up to ``MAX_BAR_STEPS`` steps
(4/1); pitches cover all 128 MIDI notes. All tracks but drums are merged into one stream.

Pieces are tokenized in a canonical key: transposed by -5 to +6 semitones so that their
Krumhansl-Schmuckler tonic is C (:func:`key_shift`); the extension transposes its prompt
the same way and its continuation back. A small network that sees about a million
tokens in training learns "the next note in C" twelve times faster than "the next note in
any key", and an n-gram counter gets the same tokens. Besides each token, a network may
read the *frontier* (:meth:`Grammar.frontier`: where the notes so far stop sounding,
counted from the current bar line), a function of the tokens so far that an n-gram reads
off its context but a small network would otherwise have to learn to add up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from generation.data import load_split
from music.key import best_key
from music.score import Score

STEPS_PER_BEAT = 4  # grid steps per quarter note
MAX_BAR_STEPS = 64
MAX_DURATION = 64
MAX_CHORD = 6  # notes a sampled onset may have (the chorales have four)
FRONTIER_MAX = 2 * MAX_BAR_STEPS - 1
STYLES = ("folk", "chorale")
CORPUS_OF_STYLE = {"folk": "folk", "chorale": "bach-chorales"}
METERS = (
    (2, 4), (4, 4), (3, 4), (6, 8), (2, 2), (3, 8), (4, 2), (6, 4), (3, 2), (9, 8), (4, 1),
    (3, 1), (6, 2), (4, 8), (5, 8), (5, 4), (12, 8), (2, 1), (2, 8), (7, 8), (1, 4),
)  # fmt: skip

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class GridNote:
    """A note on the grid: ``start`` and ``duration`` in steps."""

    start: int
    pitch: int
    duration: int

    @property
    def end(self) -> int:
        return self.start + self.duration


class Vocabulary:
    """Token ids, in blocks: specials, styles, meters, positions, pitches, durations."""

    PAD, END, BAR = 0, 1, 2

    def __init__(self) -> None:
        self.style = 3
        self.meter = self.style + len(STYLES)
        self.meter_other = self.meter + len(METERS)
        self.position = self.meter_other + 1
        self.pitch = self.position + MAX_BAR_STEPS
        self.duration = self.pitch + 128  # Duration_d is self.duration + d - 1
        self.size = self.duration + MAX_DURATION

    def style_token(self, style: str) -> int:
        return self.style + STYLES.index(style)

    def meter_token(self, time_signature: tuple[int, int]) -> int:
        meter = tuple(time_signature)
        return self.meter + METERS.index(meter) if meter in METERS else self.meter_other

    def is_prefix(self, token: int) -> bool:
        return self.style <= token < self.position

    def name(self, token: int) -> str:
        """``Pitch_60``, ``Meter_3/4``...: for people reading sequences."""
        if token < self.style:
            return ("Pad", "End", "Bar")[token]
        if token < self.meter:
            return f"Style_{STYLES[token - self.style]}"
        if token < self.meter_other:
            return "Meter_{}/{}".format(*METERS[token - self.meter])
        if token == self.meter_other:
            return "Meter_other"
        if token < self.pitch:
            return f"Position_{token - self.position}"
        if token < self.duration:
            return f"Pitch_{token - self.pitch}"
        return f"Duration_{token - self.duration + 1}"


VOCAB = Vocabulary()


# ----- scores to grid notes and back -------------------------------------------------


def step_ticks(score: Score) -> float:
    return score.resolution / STEPS_PER_BEAT


def bar_steps(time_signature: tuple[int, int]) -> int:
    """Grid steps in one bar; ValueError for a meter the tokens cannot hold."""
    numerator, denominator = time_signature
    steps = STEPS_PER_BEAT * 4 * numerator / denominator
    if steps != int(steps) or not 1 <= steps <= MAX_BAR_STEPS:
        raise ValueError(
            f"The meter {numerator}/{denominator} is not supported: a bar must be a whole "
            f"number of sixteenth notes, at most {MAX_BAR_STEPS}."
        )
    return int(steps)


def grid_notes(score: Score, since_tick: int = 0) -> list[GridNote]:
    """The pitched notes starting at or after ``since_tick``, snapped to the grid, sorted
    by start and then from the highest pitch down. Notes of several tracks starting on
    the same step with the same pitch become one (the longest)."""
    size = step_ticks(score)
    longest: dict[tuple[int, int], int] = {}
    for track in score.pitched_tracks():
        for note in track.notes:
            if note.start < since_tick:
                continue
            start = round(note.start / size)
            duration = min(max(round(note.end / size) - start, 1), MAX_DURATION)
            key = (start, note.pitch)
            longest[key] = max(duration, longest.get(key, 0))
    return [GridNote(s, p, d) for (s, p), d in sorted(longest.items(), key=_onset_order)]


def _onset_order(item: tuple[tuple[int, int], int]) -> tuple[int, int]:
    (start, pitch), _ = item
    return start, -pitch


# ----- encoding and decoding ---------------------------------------------------------


def encode(
    notes: Sequence[GridNote],
    time_signature: tuple[int, int],
    style: str,
    *,
    first_bar: int = 0,
    end: bool = False,
) -> list[int]:
    """``[Style, Meter, Bar, ...]`` for ``notes`` (grid notes sorted as :func:`grid_notes`
    sorts them) from bar ``first_bar`` on, up to the bar of the last onset; ``End`` last
    if ``end``. Bar numbers and positions come from the meter, counted from step 0."""
    size = bar_steps(time_signature)
    tokens = [VOCAB.style_token(style), VOCAB.meter_token(time_signature)]
    bar, position = first_bar - 1, -1
    for note in notes:
        note_bar, note_position = divmod(note.start, size)
        if note_bar < first_bar:
            continue
        while bar < note_bar:
            tokens.append(VOCAB.BAR)
            bar, position = bar + 1, -1
        if note_position != position:
            tokens.append(VOCAB.position + note_position)
            position = note_position
        tokens.append(VOCAB.pitch + note.pitch)
        tokens.append(VOCAB.duration + min(max(note.duration, 1), MAX_DURATION) - 1)
    if end:
        tokens.append(VOCAB.END)
    return tokens


def decode(tokens: Iterable[int], time_signature: tuple[int, int]) -> list[GridNote]:
    """The notes of a token sequence, the first ``Bar`` being bar 0. Tokens out of place
    (a pitch with no position before it, a duration with no pitch) are skipped."""
    size = bar_steps(time_signature)
    notes: list[GridNote] = []
    bar, onset, pitch = -1, -1, -1
    for token in tokens:
        if token == VOCAB.BAR:
            bar, onset, pitch = bar + 1, -1, -1
        elif VOCAB.position <= token < VOCAB.pitch and bar >= 0:
            onset, pitch = bar * size + token - VOCAB.position, -1
        elif VOCAB.pitch <= token < VOCAB.duration and onset >= 0:
            pitch = token - VOCAB.pitch
        elif token >= VOCAB.duration and pitch >= 0:
            notes.append(GridNote(onset, pitch, token - VOCAB.duration + 1))
            pitch = -1
    return notes


def bar_starts(tokens: Sequence[int]) -> list[int]:
    """Indices of the ``Bar`` tokens: where a window of a sequence may begin."""
    return [i for i, token in enumerate(tokens) if token == VOCAB.BAR]


# ----- the canonical key --------------------------------------------------------------


def key_shift(notes: Sequence[GridNote]) -> int:
    """The transposition (-5 to +6 semitones) that moves the notes' key, estimated by
    Krumhansl-Schmuckler on the duration-weighted pitch classes, to a tonic of C (C major
    or C minor); 0 without notes."""
    weights = np.zeros(12)
    for note in notes:
        weights[note.pitch % 12] += note.duration
    key = best_key(weights)
    if key is None:
        return 0
    shift = -key.tonic % 12
    return shift - 12 if shift > 6 else shift


def transposed(notes: Sequence[GridNote], semitones: int) -> list[GridNote]:
    """``notes`` moved by ``semitones``, each kept within 0-127 by whole octaves."""
    return [GridNote(n.start, fold(n.pitch + semitones), n.duration) for n in notes]


def fold(pitch: int) -> int:
    while pitch < 0:
        pitch += 12
    while pitch > 127:
        pitch -= 12
    return pitch


# ----- the grammar of a continuation -------------------------------------------------


_STATIC = {
    "pitch": np.arange(VOCAB.size) == -1,
    "duration": np.arange(VOCAB.size) >= VOCAB.duration,
}
_STATIC["pitch"][VOCAB.pitch : VOCAB.duration] = True


class Grammar:
    """Which tokens may come next in a continuation, and where the music stands.

    Steps count from the sequence's first ``Bar``. Generated onsets must fall in
    ``[min_step, end_step)``; a ``Bar`` is allowed only if the next bar starts before
    ``end_step``. With ``monophonic`` a note may only start once the previous one has
    ended, and no onset gets a second note. Otherwise an onset's notes come from the
    highest down, as in the training sequences, up to ``MAX_CHORD`` of them; with
    ``voices`` (a chorale's 4) exactly that many notes sound after every onset (an onset
    is completed before time moves on, no new note doubles a sounding pitch) and the next
    onset comes at the latest when the first of them ends, so no voice falls silent.
    Feed the prompt with :meth:`advance` first; :meth:`allowed` is empty when the
    continuation is complete.
    """

    def __init__(
        self,
        time_signature: tuple[int, int],
        *,
        min_step: int,
        end_step: int,
        monophonic: bool,
        voices: int = 0,
    ) -> None:
        self.bar_size = bar_steps(time_signature)
        self.min_step, self.end_step = min_step, end_step
        self.monophonic = monophonic
        self.voices = 0 if monophonic else min(voices, MAX_CHORD)
        self.bar_start = -self.bar_size  # before the first Bar
        self.onset = -1  # absolute step of the current onset, -1 right after a Bar
        self.last = VOCAB.BAR  # the kind of the last token: BAR, position, pitch or duration
        self.pitch = 128  # the last pitch at the current onset
        self.chord = 0  # notes so far at the current onset
        self.busy_until = 0  # the latest end of any note
        self.sounding: list[tuple[int, int]] = []  # (end, pitch) of notes that may sound

    def advance(self, token: int) -> None:
        if token == VOCAB.BAR:
            self.bar_start += self.bar_size
            self.onset, self.last = -1, VOCAB.BAR
        elif VOCAB.position <= token < VOCAB.pitch:
            self.onset = self.bar_start + token - VOCAB.position
            self.last, self.pitch, self.chord = VOCAB.position, 128, 0
            self.sounding = [(end, pitch) for end, pitch in self.sounding if end > self.onset]
        elif VOCAB.pitch <= token < VOCAB.duration:
            self.last, self.pitch = VOCAB.pitch, token - VOCAB.pitch
            self.chord += 1
        elif token >= VOCAB.duration:
            self.last = VOCAB.duration
            end = self.onset + token - VOCAB.duration + 1
            self.busy_until = max(self.busy_until, end)
            self.sounding.append((end, self.pitch))

    def frontier(self) -> int:
        """Where the notes so far stop sounding, in steps from the current bar line (0 to
        ``FRONTIER_MAX``; 0 before the first bar): the network's hint for the next onset."""
        if self.bar_start < 0:
            return 0
        return min(max(self.busy_until - self.bar_start, 0), FRONTIER_MAX)

    def allowed(self) -> BoolArray:
        if self.last == VOCAB.position:
            return self._pitches(128)
        if self.last == VOCAB.pitch:
            return _STATIC["duration"]
        mask = np.zeros(VOCAB.size, dtype=np.bool_)
        chord_open = self.last == VOCAB.duration and self.onset >= self.min_step
        if chord_open and not self.monophonic and self.chord < MAX_CHORD:
            mask = self._pitches(self.pitch)
            if 0 < len(self.sounding) < self.voices and mask.any():
                return mask  # complete the onset first
            if self.voices and len(self.sounding) >= self.voices:
                mask = np.zeros(VOCAB.size, dtype=np.bool_)
        now = self.onset if self.onset >= 0 else self.bar_start
        low = max(self.min_step, self.onset + 1 if self.onset >= 0 else self.bar_start)
        if self.monophonic:
            low = max(low, self.busy_until)
        high = min(self.end_step, self.bar_start + self.bar_size)
        latest = self.end_step  # the last step the next onset may take
        if self.voices:
            ends = sorted(end for end, _ in self.sounding if end > now)
            if len(ends) >= self.voices:  # every voice sounds: wait for the first to end
                low = max(low, ends[0])
                latest = low
            else:  # a voice ended (say, on this bar line): it re-enters at once
                latest = low
        high = min(high, latest + 1)
        if low < high:
            mask[VOCAB.position + low - self.bar_start : VOCAB.position + high - self.bar_start] = (
                True
            )
        bar_end = self.bar_start + self.bar_size
        if bar_end < self.end_step and bar_end <= latest:
            mask[VOCAB.BAR] = True
        return mask

    def _pitches(self, below: int) -> BoolArray:
        """Pitches under ``below``; with ``voices``, none that doubles a sounding note."""
        if not self.voices and below == 128:
            return _STATIC["pitch"]
        mask = np.zeros(VOCAB.size, dtype=np.bool_)
        mask[VOCAB.pitch : VOCAB.pitch + max(below, 0)] = True
        if self.voices:
            now = self.onset
            for end, pitch in self.sounding:
                if end > now:
                    mask[VOCAB.pitch + pitch] = False
        return mask


def token_bound(steps: int, monophonic: bool) -> int:
    """The most tokens a continuation of ``steps`` grid steps can take (an onset on every
    step, a bar line before every step): the sampling loop's safety stop."""
    per_step = 1 + (3 if monophonic else 1 + 2 * MAX_CHORD)
    return steps * per_step + 1


def tail_indices(tokens: Sequence[int], limit: int) -> list[int]:
    """The indices of the prefix (style, meter) and of the longest tail that starts at a
    ``Bar`` and keeps the whole within ``limit`` tokens: how a sequence too long for a
    context is cut. A bar longer than the limit on its own is cut mid-bar (its positions
    are then read against the wrong bar; only absurdly dense bars get there)."""
    if len(tokens) <= limit:
        return list(range(len(tokens)))
    earliest = len(tokens) - (limit - 2)
    later = [i for i in bar_starts(tokens) if i >= earliest]
    start = later[0] if later else earliest
    return [0, 1, *range(start, len(tokens))]


def frontier_features(tokens: Sequence[int], time_signature: tuple[int, int]) -> IntArray:
    """:meth:`Grammar.frontier` after every token: a function of the tokens so far, so a
    network may read it beside them (as a position is read)."""
    grammar = Grammar(time_signature, min_step=0, end_step=0, monophonic=False)
    features = np.zeros(len(tokens), dtype=np.int64)
    for index, token in enumerate(tokens):
        grammar.advance(int(token))
        features[index] = grammar.frontier()
    return features


# ----- the corpora as tokens ---------------------------------------------------------


@dataclass
class TokenPiece:
    tokens: IntArray  # style, meter, bars..., End
    features: IntArray  # the frontier after each token
    bars: IntArray  # indices of the Bar tokens


def score_tokens(score: Score, style: str) -> TokenPiece:
    """A whole piece as tokens, ``End`` included, in the canonical key (tonic C)."""
    notes = grid_notes(score)
    tokens = encode(transposed(notes, key_shift(notes)), score.time_signature, style, end=True)
    return TokenPiece(
        np.asarray(tokens, dtype=np.int64),
        frontier_features(tokens, score.time_signature),
        np.asarray(bar_starts(tokens), dtype=np.int64),
    )


@cache
def tokenized_split(style: str, split: str) -> list[TokenPiece]:
    """Every piece of a corpus split as tokens (pieces with meters the tokens cannot hold
    are left out), cached for the process."""
    pieces = []
    for piece in load_split(CORPUS_OF_STYLE[style], split):
        try:
            pieces.append(score_tokens(piece.score, style))
        except ValueError:
            continue
    return pieces
