"""Negatives for the realism critics: families of fake pieces made from real ones.

Each family is a function ``family(score, rng) -> Score`` that turns one real piece
into a fake with the same resolution, tempo, meter, track layout (programs, names,
drum tracks kept as they are) and about the same length, so that a critic cannot
tell a fake by anything but its notes. Two kinds:

- *degenerate textures* (:data:`DEGENERATE`): the cheap ways to game a lone critic
  (DESIGN.md §5 measured p(real) = 1.0 for a 20-note cluster and a sustained triad):
  ``cluster``, ``sustained_chords``, ``repeated_note`` and ``near_empty``;
- *scrambled music*: real notes with one property of music destroyed:
  ``random_notes`` (nothing kept but density and register), ``pitch_shuffled``
  (rhythm kept, melody and harmony lost), ``time_reversed`` (every local statistic
  kept, direction lost), ``out_of_key`` (parts transposed against each other by a
  non-diatonic interval) and ``rhythm_jittered`` (onsets and ends moved off the grid);
- *hard negatives* (:data:`HARD`): ``strong_harmonisation``, the piece's top voice
  harmonised afresh by the rule harmoniser of :mod:`music.harmoniser` (correct textbook
  four-part writing that is not Bach's), and real music rearranged or damaged
  (:mod:`evaluation.hard_fakes`): ``cento`` (chunks of several pieces in one key, drawn
  from the ``donors`` given to :func:`make_fake`), ``bar_shuffled`` and ``wrong_notes``
  (2-20 % of the notes). All are registered, so a critic config may name them;
  :data:`BUILTIN` (the whole-tune critic's and the baseline's families, and the
  validity report's table) leaves them out.

The window critics train by default (:data:`TRAINING`) on the built-in families and the
rule harmonisations only. Measured on bach-chorales (validation mean p(real) of real
windows, the selection figure, and the red team's held-out real median): all four hard
families 0.78 / 72.3, harmonisations and wrong notes 0.89 / 78.0, harmonisations alone
0.94 / 84.5 (8 epochs) and 0.96 / 87.1 (16 epochs; the old critic: 0.98 / 87.7). A
window of 16 beats from a cento, a bar shuffle or a lightly damaged piece is mostly real
music (window AUROC 0.54, 0.68 and 0.73 in the first run), so as negatives they mostly
teach the critics to doubt real windows. Centos and shuffles are the copy check's
(:mod:`evaluation.coverage`); damage already lowers the score step by step without them.

:data:`FAMILIES` is the registry the critics train from. Other kinds of negatives,
real generator output above all (DESIGN.md §5 step 4), plug in later with
:func:`register_family`: a family only has to map a real piece and a random generator
to a fake piece, for instance by running a generator on the piece's first bars.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from evaluation import hard_fakes
from music import transforms
from music.harmoniser import HarmoniserError, harmonise_score
from music.score import Note, Score, Track

Family = Callable[[Score, np.random.Generator], Score]
DonorFamily = Callable[[Score, np.random.Generator, Sequence[Score]], Score]

DEFAULT_VELOCITY = 80
NON_DIATONIC_SHIFTS = (-6, -1, 1, 6)  # semitone and tritone: parts clash in any key
JITTER_BEATS = (1 / 8, 1 / 3)  # smallest and largest rhythm jitter, in beats
TRIADS = ((0, 4, 7), (0, 3, 7), (0, 4, 7), (0, 3, 7), (0, 3, 6))  # major, minor, rarely dim


# ----- degenerate textures -----------------------------------------------------------


def cluster(score: Score, rng: np.random.Generator) -> Score:
    """Dense clusters of 16-24 adjacent semitones around the piece's register: one held
    throughout, struck on a regular pulse, or struck on the piece's own onsets."""
    size = int(rng.integers(16, 25))
    center = _center_pitch(score)
    notes = []
    for start, duration in _spans(score, rng):
        low = int(np.clip(center - size // 2 + rng.integers(-3, 4), 21, 109 - size))
        notes += [Note(start, low + i, duration, DEFAULT_VELOCITY) for i in range(size)]
    return _arranged(score, notes)


def sustained_chords(score: Score, rng: np.random.Generator) -> Score:
    """Block triads held for one, two or four bars each, or one triad for the whole piece."""
    length, bar = _length(score), score.ticks_per_bar
    hold = length if rng.random() < 0.35 else bar * int(rng.choice([1, 2, 4]))
    notes = []
    for start in range(0, length, hold):
        duration = min(hold, length - start)
        for pitch in _triad_voicing(rng):
            notes.append(Note(start, pitch, duration, DEFAULT_VELOCITY))
    return _arranged(score, notes)


def repeated_note(score: Score, rng: np.random.Generator) -> Score:
    """One pitch, repeated on a regular pulse or on the piece's own onsets, in the first
    pitched track (the other tracks fall silent)."""
    pitches = [n.pitch for n in score.all_notes()]
    pitch = int(rng.choice(pitches)) if pitches else int(rng.integers(48, 77))
    notes = [Note(s, pitch, d, DEFAULT_VELOCITY) for s, d in _spans(score, rng, held=False)]
    return _arranged(score, notes, spread=False)


def near_empty(score: Score, rng: np.random.Generator) -> Score:
    """One to eight of the piece's notes, always keeping the last one so the length stays."""
    keyed = [
        (i, j) for i, t in enumerate(score.tracks) if not t.is_drum for j in range(len(t.notes))
    ]
    if not keyed:
        notes = [Note(0, int(rng.integers(48, 77)), _length(score), DEFAULT_VELOCITY)]
        return _arranged(score, notes)
    last = max(keyed, key=lambda ij: score.tracks[ij[0]].notes[ij[1]].end)
    count = min(int(rng.integers(1, 9)), len(keyed))
    chosen = {last} | {keyed[k] for k in rng.permutation(len(keyed))[: count - 1].tolist()}
    tracks = [
        track
        if track.is_drum
        else replace(track, notes=[n for j, n in enumerate(track.notes) if (i, j) in chosen])
        for i, track in enumerate(score.copy().tracks)
    ]
    return replace(score, tracks=tracks)


# ----- scrambled music ---------------------------------------------------------------


def random_notes(score: Score, rng: np.random.Generator) -> Score:
    """As many notes as the piece, with pitches uniform over its range (at least an
    octave), onsets uniform over its 16th-note grid and durations of 1-8 sixteenths."""
    pitches = [n.pitch for n in score.all_notes()] or [60]
    low, high = min(pitches), max(max(pitches), min(pitches) + 12)
    length, step = _length(score), _sixteenth(score)
    count = max(len(pitches), 8)
    starts = np.sort(rng.integers(0, max(length // step, 1), size=count)) * step
    ends = np.minimum(starts + rng.integers(1, 9, size=count) * step, length)
    ends[-1] = length  # the last onset rings to the end, so the length stays
    notes = [
        Note(int(s), int(p), int(max(e - s, 1)), DEFAULT_VELOCITY)
        for s, e, p in zip(starts, ends, rng.integers(low, high + 1, size=count), strict=True)
    ]
    return _arranged(score, notes)


def pitch_shuffled(score: Score, rng: np.random.Generator) -> Score:
    """The pitches of each track permuted among its notes: rhythm and pitch set kept."""
    return transforms.shuffle_pitches(score, rng)


def time_reversed(score: Score, rng: np.random.Generator) -> Score:
    """The piece played backwards over the span from its first onset to its end, so an
    opening rest stays where it is and reversing twice gives the piece back
    (deterministic; ``rng`` is unused)."""
    first = min((n.start for t in score.tracks for n in t.notes), default=0)
    backwards = transforms.reverse(score)
    return replace(
        backwards,
        tracks=[
            replace(t, notes=[replace(n, start=n.start + first) for n in t.notes])
            for t in backwards.tracks
        ],
    )


def out_of_key(score: Score, rng: np.random.Generator) -> Score:
    """Some parts, never all, transposed by a semitone or a tritone so they clash.

    With one part only, the second voice of its chords is the part moved; a single line
    has every other bar moved (an abrupt key clash in time rather than between voices).
    """
    indices = [i for i, t in enumerate(score.tracks) if not t.is_drum and t.notes]
    if len(indices) >= 2:
        moved = rng.permutation(indices)[: int(rng.integers(1, len(indices)))].tolist()
        tracks = list(score.tracks)
        for i in moved:
            shift = int(rng.choice(NON_DIATONIC_SHIFTS))
            tracks[i] = transforms.transpose(replace(score, tracks=[tracks[i]]), shift).tracks[0]
        return replace(score, tracks=tracks)
    return _out_of_key_single(score, rng, indices[0]) if indices else score.copy()


def rhythm_jittered(score: Score, rng: np.random.Generator) -> Score:
    """Every onset and every end moved by 1/8 to 1/3 of a beat, earlier or later, by an
    amount that is never a whole number of 16ths: the rhythm loses its grid."""
    resolution, step = score.resolution, _sixteenth(score)
    low, high = (round(b * resolution) for b in JITTER_BEATS)

    def offsets(count: int) -> np.ndarray:
        size = rng.integers(max(low, 1), max(high, 2) + 1, size=count)
        size = np.where(size % step == 0, size + 1, size) if step > 1 else size
        return np.where(rng.random(count) < 0.5, -size, size)

    tracks = []
    for track in score.tracks:
        count = len(track.notes)
        starts = np.array([n.start for n in track.notes], dtype=np.int64)
        ends = np.array([n.end for n in track.notes], dtype=np.int64)
        moved = starts + offsets(count)
        moved = np.where(moved < 0, 2 * starts - moved, moved)  # reflect, stay off the grid
        new_ends = np.maximum(ends + offsets(count), moved + 1)
        notes = [
            replace(n, start=int(s), duration=int(e - s))
            for n, s, e in zip(track.notes, moved, new_ends, strict=True)
        ]
        tracks.append(replace(track, notes=sorted(notes)))
    return replace(score, tracks=tracks)


# ----- hard negatives ------------------------------------------------------------------


def strong_harmonisation(score: Score, rng: np.random.Generator) -> Score:
    """The piece's top voice as the soprano of a new four-part harmonisation by the rule
    harmoniser (a seed drawn from ``rng`` picks among near-equal ones), the voices laid
    on the piece's pitched tracks by register. A piece with no harmonisable top voice is
    returned as it is."""
    pitched = [t for t in score.tracks if not t.is_drum and t.notes]
    if not pitched:
        return score.copy()
    top = max(pitched, key=_mean_pitch)
    seed = int(rng.integers(2**31))
    try:
        satb = harmonise_score(replace(score, tracks=[top]), seed=seed)
    except HarmoniserError:
        return score.copy()
    tracks = [i for i, t in enumerate(score.tracks) if not t.is_drum]
    if len(tracks) != 4:
        return _arranged(score, [n for t in satb.tracks for n in t.notes])
    by_height = sorted(tracks, key=lambda i: -_mean_pitch(score.tracks[i]))
    out = list(score.copy().tracks)
    for index, voice in zip(by_height, satb.tracks, strict=True):
        out[index] = replace(out[index], notes=sorted(voice.notes))
    return replace(score, tracks=out)


def _mean_pitch(track: Track) -> float:
    return float(np.mean([n.pitch for n in track.notes])) if track.notes else -1.0


# ----- registry ----------------------------------------------------------------------

FAMILIES: dict[str, Family] = {
    "cluster": cluster,
    "sustained_chords": sustained_chords,
    "repeated_note": repeated_note,
    "near_empty": near_empty,
    "random_notes": random_notes,
    "pitch_shuffled": pitch_shuffled,
    "time_reversed": time_reversed,
    "out_of_key": out_of_key,
    "rhythm_jittered": rhythm_jittered,
}
DEGENERATE = ("cluster", "sustained_chords", "repeated_note", "near_empty")
BUILTIN = tuple(FAMILIES)  # the validity report's families (and the tune critic's)
FAMILIES["strong_harmonisation"] = strong_harmonisation
FAMILIES["cento"] = hard_fakes.cento  # without donors: chunks of the piece alone
FAMILIES["bar_shuffled"] = hard_fakes.bar_shuffled
FAMILIES["wrong_notes"] = hard_fakes.wrong_notes
# Families that draw on other pieces when make_fake is given some.
DONOR_FAMILIES: dict[str, DonorFamily] = {"cento": hard_fakes.cento}
HARD = ("strong_harmonisation", "cento", "bar_shuffled", "wrong_notes")
TRAINING = (*BUILTIN, "strong_harmonisation")  # the window critics' default


def register_family(name: str, family: Family) -> None:
    """Add a family of negatives (e.g. real generator output) under a new name.

    Critics train on the families their config names, so registering one changes no
    trained profile; retrain with the name in ``CriticConfig.families`` to use it.
    """
    if name in FAMILIES:
        raise ValueError(f"a fake family named {name!r} is already registered")
    FAMILIES[name] = family


def make_fake(
    family: str, score: Score, rng: np.random.Generator, donors: Sequence[Score] = ()
) -> Score:
    """A fake of family ``family`` made from the real piece ``score``; the families of
    :data:`DONOR_FAMILIES` also draw on ``donors`` (other pieces of the same split; the
    piece itself among them is skipped)."""
    try:
        maker = FAMILIES[family]
    except KeyError:
        raise ValueError(f"unknown fake family {family!r}; known: {', '.join(FAMILIES)}") from None
    if donors and family in DONOR_FAMILIES:
        return DONOR_FAMILIES[family](score, rng, donors)
    return maker(score, rng)


# ----- helpers -----------------------------------------------------------------------


def _length(score: Score) -> int:
    """The piece's length in ticks; an empty piece is taken as one bar long."""
    return score.end_tick or score.ticks_per_bar


def _sixteenth(score: Score) -> int:
    return max(score.resolution // 4, 1)


def _center_pitch(score: Score) -> int:
    pitches = [n.pitch for n in score.all_notes()]
    return int(np.median(pitches)) if pitches else 60


def _spans(score: Score, rng: np.random.Generator, held: bool = True) -> list[tuple[int, int]]:
    """(start, duration) pairs of one of three rhythms, chosen at random: a single span
    over the whole piece (only when ``held``), a regular pulse of 16ths to half notes,
    or the piece's own distinct onsets, each lasting until the next."""
    length, resolution = _length(score), score.resolution
    choice = int(rng.integers(0 if held else 1, 3))
    if choice == 0:
        return [(0, length)]
    if choice == 1:
        period = max(int(resolution * rng.choice([0.25, 0.5, 1.0, 2.0])), 1)
        return [(t, min(period, length - t)) for t in range(0, length, period)]
    onsets = sorted({n.start for n in score.all_notes()}) or [0]
    bounds = [*onsets[1:], max(length, onsets[-1] + 1)]
    return [(s, e - s) for s, e in zip(onsets, bounds, strict=True)]


def _triad_voicing(rng: np.random.Generator) -> list[int]:
    """A root-position bass under a closed triad in the middle register (4 notes)."""
    root = int(rng.integers(0, 12))
    intervals = TRIADS[int(rng.integers(len(TRIADS)))]
    classes = {(root + i) % 12 for i in intervals}
    bass = 36 + (root - 36) % 12 + 12 * int(rng.integers(0, 2))
    first = int(rng.integers(55, 67))
    upper = [p for p in range(first, first + 12) if p % 12 in classes]
    return [bass, *upper]


def _arranged(score: Score, notes: list[Note], spread: bool = True) -> Score:
    """``notes`` laid out on the piece's pitched tracks: spread by register like voices
    (highest notes to the first track), or all in the first one; drums kept as they are."""
    pitched = [i for i, t in enumerate(score.tracks) if not t.is_drum]
    if not pitched:
        return replace(score, tracks=[*score.copy().tracks, Track(notes=sorted(notes))])
    if spread and len(pitched) > 1:
        voices = transforms.split_tracks(Score([Track(notes=notes)]), len(pitched)).tracks
        parts = [v.notes for v in voices]
    else:
        parts = [sorted(notes)] + [[] for _ in pitched[1:]]
    tracks = list(score.copy().tracks)
    for index, part in zip(pitched, parts, strict=True):
        tracks[index] = replace(tracks[index], notes=part)
    return replace(score, tracks=tracks)


def _out_of_key_single(score: Score, rng: np.random.Generator, index: int) -> Score:
    """Out of key for a piece with one pitched part (see :func:`out_of_key`)."""
    track = score.tracks[index]
    shift = int(rng.choice(NON_DIATONIC_SHIFTS))
    chosen = set(transforms.split_tracks(replace(score, tracks=[track]), 2).tracks[1].notes)
    if not chosen:
        bar = score.ticks_per_bar
        chosen = {n for n in track.notes if (n.start // bar) % 2 == 1}
    if not chosen:  # a line shorter than two bars: its second half
        chosen = set(track.notes[len(track.notes) // 2 :])
    notes = [replace(n, pitch=_shifted(n.pitch, shift)) if n in chosen else n for n in track.notes]
    tracks = list(score.copy().tracks)
    tracks[index] = replace(track, notes=sorted(notes))
    return replace(score, tracks=tracks)


def _shifted(pitch: int, semitones: int) -> int:
    """``pitch + semitones``, moved back by octaves where it would leave 0-127."""
    moved = pitch + semitones
    if moved > 127:
        moved -= 12 * ((moved - 116) // 12)
    elif moved < 0:
        moved += 12 * ((11 - moved) // 12)
    return moved
