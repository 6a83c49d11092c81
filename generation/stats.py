"""``python -m generation.stats``: hand statistics of four-part music, real and generated.

Each figure is computed the same way for the real held-out pieces and for what a
generator made from their top parts (and from the sample melodies and DeepComposer's
inputs, which have no real counterpart), so that they always stand side by side. A
four-part score is soprano (the melody), alto, tenor, bass: tracks 0-3, high to low.

- **parallels per 100 joint moves** (:func:`parallel_counts`): on an eighth-note grid,
  every pair of parts, the steps where both sound before and after and both change
  pitch; of those, the moves with a fifth or an octave (unison, compound) between the
  two on both sides, whichever is higher (parallel or contrary fifths and octaves, as a
  teacher counts them; a fourth is not a fifth).
- **strong-beat dissonance** (:func:`beat_dissonance`): the share of beat onsets (the
  time signature's unit, a dotted quarter in compound meters) where two sounding parts
  make a second
  or a seventh (intervals 1, 2, 10, 11 modulo the octave): seventh chords, suspensions,
  accented passing notes.
- **inner voices held >= 4 beats** (:func:`held_share`): the share of the alto's and
  tenor's sounding time spent in runs of one pitch, held or repeated without a rest,
  that last four beats or more.
- **final cadence with tonic bass** (:func:`tonic_bass_cadence`): of the pieces whose
  melody ends on its tonic (the melody's key by :func:`music.harmoniser.harmoniser_key`),
  those whose bass ends on the tonic too.
- **notes outside SATB ranges** (:func:`outside_ranges`): the share of the alto's,
  tenor's and bass's notes outside the style's ranges (``GanStyle.ranges``; the melody is
  the input, so it is not counted).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from generation.data import load_split
from generation.gan.styles import STYLES
from music.harmoniser import harmoniser_key
from music.lines import beat_length, grid_line
from music.score import Note, Score
from music.transforms import crop

IntArray = npt.NDArray[np.int64]
DISSONANT = (1, 2, 10, 11)  # seconds and sevenths, modulo the octave
HELD_BEATS = 4
ROOT = Path(__file__).resolve().parents[1]
DEEPCOMPOSER = ROOT.parent / "shared" / "testdata" / "deepcomposer"


# ----- the pieces --------------------------------------------------------------------


def four_parts(score: Score) -> Score | None:
    """The piece as top, the two parts under it, and the lowest part (by mean pitch)."""
    parts = [t for t in score.pitched_tracks() if t.notes]
    if len(parts) < 4:
        return None
    parts.sort(key=lambda t: -float(np.mean([n.pitch for n in t.notes])))
    return replace(score, tracks=[parts[0], parts[1], parts[2], parts[-1]])


def test_pieces(style: str, bars: int, limit: int) -> list[tuple[str, Score]]:
    """The style's test-split pieces with four parts or more, as four parts, first ``bars``."""
    pieces = []
    for piece in load_split(STYLES[style].corpus, "test"):
        real = four_parts(crop(piece.score, 0, min(bars, piece.score.bar_count)))
        if real is not None and real.tracks[0].notes:
            pieces.append((piece.id, real))
    return pieces[:limit] if limit else pieces


# ----- the statistics ----------------------------------------------------------------


def voice_grid(score: Score, spb: int = 2) -> IntArray:
    """(tracks, steps): each track's top pitch per eighth note, -1 where it rests."""
    steps = max(1, -(-score.end_tick * spb // score.resolution))
    return np.stack([grid_line(t.notes, steps, spb, score.resolution) for t in score.tracks])


def parallel_counts(grid: IntArray) -> tuple[int, int]:
    """``(parallels, joint moves)`` over every pair of rows of a :func:`voice_grid`."""
    parallels = moves = 0
    for a, b in combinations(range(len(grid)), 2):
        x, y = grid[a], grid[b]
        both = (x[:-1] >= 0) & (x[1:] >= 0) & (y[:-1] >= 0) & (y[1:] >= 0)
        moving = both & (x[1:] != x[:-1]) & (y[1:] != y[:-1])
        before = np.abs(x[:-1] - y[:-1]) % 12
        after = np.abs(x[1:] - y[1:]) % 12
        perfect = moving & (before == after) & ((after == 0) | (after == 7))
        parallels += int(perfect.sum())
        moves += int(moving.sum())
    return parallels, moves


def parallel_rate(grid: IntArray) -> float:
    """Consecutive fifths and octaves (unisons) per 100 steps where two voices both move."""
    parallels, moves = parallel_counts(grid)
    return 100 * parallels / max(moves, 1)


def beat_dissonance(score: Score) -> tuple[int, int]:
    """``(dissonant beats, beats with two parts or more sounding)``."""
    beat = beat_length(score)
    grid = voice_grid(score)
    steps_per_beat = max(1, round(2 * beat / score.resolution))
    on_beat = grid[:, ::steps_per_beat]  # (tracks, beats)
    dissonant = counted = 0
    for column in on_beat.T:
        sounding = column[column >= 0]
        if len(sounding) < 2:
            continue
        counted += 1
        intervals = (sounding[:, None] - sounding[None, :]) % 12
        dissonant += bool(np.isin(intervals, DISSONANT).any())
    return dissonant, counted


def pitch_runs(notes: Sequence[Note], gap: int) -> list[tuple[int, int]]:
    """``(pitch, ticks)`` of each run of one pitch, held or repeated with no rest longer
    than ``gap`` ticks between its notes."""
    found: list[list[int]] = []  # pitch, start, end
    for note in sorted(notes):
        if found and found[-1][0] == note.pitch and note.start - found[-1][2] <= gap:
            found[-1][2] = max(found[-1][2], note.end)
        else:
            found.append([note.pitch, note.start, note.end])
    return [(pitch, end - start) for pitch, start, end in found]


def held_share(score: Score, beats: int = HELD_BEATS) -> tuple[int, int]:
    """``(ticks in runs of one pitch lasting >= beats, sounding ticks)``, alto and tenor."""
    beat = beat_length(score)
    held = total = 0
    for track in score.tracks[1:3]:
        for _, ticks in pitch_runs(track.notes, beat // 4):
            total += ticks
            held += ticks if ticks >= beats * beat else 0
    return held, total


def tonic_bass_cadence(score: Score) -> bool | None:
    """Whether the bass ends on the tonic; None if the melody does not end on its tonic."""
    melody = sorted(score.tracks[0].notes)
    bass = sorted(score.tracks[-1].notes)
    if not melody:
        return None
    tonic, _ = harmoniser_key(melody)
    if melody[-1].pitch % 12 != tonic:
        return None
    end = max(n.end for n in melody)
    under = [n for n in bass if n.start < end]
    return bool(under) and under[-1].pitch % 12 == tonic


def outside_ranges(score: Score, ranges: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """``(notes outside, notes)`` of tracks 1-3 against ``ranges`` (alto, tenor, bass;
    inclusive MIDI pitches)."""
    outside = total = 0
    for track, (low, high) in zip(score.tracks[1:4], ranges, strict=True):
        total += len(track.notes)
        outside += sum(not low <= n.pitch <= high for n in track.notes)
    return outside, total


@dataclass
class Figures:
    """The five statistics of a set of four-part pieces, pooled over the pieces."""

    pieces: int
    parallels: float  # per 100 joint moves
    beat_dissonance: float  # share of beats
    held: float  # share of the inner voices' sounding time
    cadences: int  # pieces whose bass ends on the tonic under a tonic melody ending
    tonic_endings: int  # pieces whose melody ends on the tonic
    outside: float  # share of the lower voices' notes

    @property
    def cadence_share(self) -> float:
        return self.cadences / self.tonic_endings if self.tonic_endings else math.nan


def figures(scores: Sequence[Score], ranges: Sequence[tuple[int, int]]) -> Figures:
    """The statistics of four-part ``scores``, pooled: each is a ratio of sums."""
    totals = np.zeros(8)
    cadences = endings = 0
    for score in scores:
        totals += [
            *parallel_counts(voice_grid(score)),
            *beat_dissonance(score),
            *held_share(score),
            *outside_ranges(score, ranges),
        ]
        cadence = tonic_bass_cadence(score)
        endings += cadence is not None
        cadences += bool(cadence)
    return Figures(
        pieces=len(scores),
        parallels=100 * _ratio(totals[0], totals[1]),
        beat_dissonance=_ratio(totals[2], totals[3]),
        held=_ratio(totals[4], totals[5]),
        cadences=cadences,
        tonic_endings=endings,
        outside=_ratio(totals[6], totals[7]),
    )


def _ratio(part: float, whole: float) -> float:
    return float(part / whole) if whole else math.nan


# ----- the command -------------------------------------------------------------------


def gan_accompanist(style: str, seed: int) -> Callable[[Score], Score]:
    """The shipped GAN of ``style`` with ``seed`` (torch loads only here)."""
    import torch

    from generation.gan.model import accompany, shipped_model

    torch.set_num_threads(1)
    model = shipped_model(style)
    return lambda score: accompany(score, model, STYLES[style], seed)


def melody_inputs(deepcomposer: Path) -> dict[str, list[Score]]:
    """The sample melodies, and DeepComposer's inputs where the folder exists."""
    from music.catalogue import list_samples, load_sample
    from music.midi_io import read_midi_file

    inputs = {"sample melodies": [load_sample(s.slug) for s in list_samples()]}
    files = sorted(deepcomposer.glob("input_*.mid")) if deepcomposer.is_dir() else []
    if files:
        inputs["DeepComposer inputs"] = [read_midi_file(path) for path in files]
    return inputs


def measure(
    style: str, bars: int, limit: int, seeds: int, deepcomposer: Path
) -> dict[str, Figures]:
    """Rows of one style: the real test pieces, the GAN on their top parts, the GAN on
    the sample melodies and on DeepComposer's inputs (every seed pooled)."""
    ranges = STYLES[style].ranges[1:]
    real = [score for _, score in test_pieces(style, bars, limit)]
    tops = [replace(score, tracks=[score.tracks[0]]) for score in real]
    rows = {f"real ({STYLES[style].corpus} test split)": figures(real, ranges)}
    sets = {"test-split top parts": tops, **melody_inputs(deepcomposer)}
    accompanists = [gan_accompanist(style, seed) for seed in range(seeds)]
    for name, inputs in sets.items():
        made = [accompany(score) for accompany in accompanists for score in inputs]
        rows[f"GAN on {name}"] = figures(made, ranges)
    return rows


def table(style: str, rows: dict[str, Figures], bars: int, seeds: int) -> str:
    lines = [
        f"### {STYLES[style].title} (first {bars} bars, {seeds} seed(s) per input)",
        "",
        "| set | pieces | parallels per 100 joint moves | strong-beat dissonance | "
        "inner voices held >= 4 beats | final cadence with tonic bass | "
        "notes outside SATB ranges |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row.pieces} | {row.parallels:.2f} | {_percent(row.beat_dissonance)} | "
            f"{_percent(row.held)} | {row.cadences} of {row.tonic_endings} "
            f"({_percent(row.cadence_share, 0)}) | {_percent(row.outside)} |"
        )
    return "\n".join(lines)


def _percent(value: float, digits: int = 1) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:.{digits}f} %"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generation.stats", description=__doc__)
    parser.add_argument("--style", action="append", choices=sorted(STYLES))
    parser.add_argument("--bars", type=int, default=32, help="bars of each test piece")
    parser.add_argument("--pieces", type=int, default=0, help="test pieces (0: all)")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per input")
    parser.add_argument("--deepcomposer", type=Path, default=DEEPCOMPOSER)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.bars < 1 or args.pieces < 0 or args.seeds < 1:
        parser.error("--bars and --seeds must be at least 1, --pieces at least 0")
    everything: dict[str, Any] = {}
    for style in args.style or list(STYLES):
        rows = measure(style, args.bars, args.pieces, args.seeds, args.deepcomposer)
        print(table(style, rows, args.bars, args.seeds) + "\n")
        everything[style] = {name: vars(row) for name, row in rows.items()}
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
