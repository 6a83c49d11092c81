"""``python -m generation.transformer.stats``: continuations, real and generated, in numbers.

The same pieces as the quality report (:func:`generation.transformer.quality.chosen_pieces`:
test pieces cut at a bar, continued up to a later bar) and the same figures for the real
continuation and for the Transformer's (several seeds), side by side:

- **ends on the tonic**: the share of continuations whose melody (the highest note of
  the last onset) is the tonic of the given part's key (``music.key.best_key``, the one
  key finder, on its duration-weighted pitch classes). A real continuation mostly stops
  mid-tune, so the real row is the whole test pieces' own endings.
- **bars reusing an input bar**: the share of the continuation's bars with notes whose
  top line (the highest note per onset: positions in the bar, pitches and durations) is
  exactly that of a bar of the given part.
- **parallels per 100 joint moves** (:func:`generation.stats.parallel_counts`, all pairs of
  tracks on an eighth-note grid) and **outer-voice parallels** (top and bottom track only).
- **time where tracks are not voices**: of the time where any track sounds, the share
  where a track holds two notes at once or falls silent while another sounds.
- **notes outside MIDI 21-108**: a piano's keys.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from generation.stats import parallel_counts, voice_grid
from music.key import best_key
from music.score import Note, Score
from music.transforms import crop

PIANO = (21, 108)


# ----- the statistics ----------------------------------------------------------------


def key_tonic(score: Score) -> int | None:
    """The tonic pitch class of ``score``'s Krumhansl-Schmuckler key; None without notes."""
    weights = np.zeros(12)
    for note in score.all_notes():
        weights[note.pitch % 12] += note.duration
    key = best_key(weights)
    return None if key is None else key.tonic


def last_melody_pitch(score: Score) -> int | None:
    """The highest pitch starting at the last onset of the pitched tracks."""
    notes = [n for t in score.pitched_tracks() for n in t.notes]
    if not notes:
        return None
    last = max(n.start for n in notes)
    return max(n.pitch for n in notes if n.start == last)


def ends_on_tonic(music: Score, key_of: Score) -> bool | None:
    """Whether ``music``'s last melody note is the tonic of ``key_of``'s key."""
    tonic, pitch = key_tonic(key_of), last_melody_pitch(music)
    return None if tonic is None or pitch is None else pitch % 12 == tonic


def bar_patterns(score: Score) -> list[tuple[tuple[int, int, int], ...]]:
    """Each bar's top line, ``(position, pitch, duration)`` per onset in ticks from the bar
    line; empty bars are left out."""
    top: dict[int, Note] = {}
    for track in score.pitched_tracks():
        for note in track.notes:
            if note.start not in top or note.pitch > top[note.start].pitch:
                top[note.start] = note
    bars: dict[int, list[tuple[int, int, int]]] = {}
    size = score.ticks_per_bar
    for start, note in sorted(top.items()):
        bars.setdefault(start // size, []).append((start % size, note.pitch, note.duration))
    return [tuple(pattern) for _, pattern in sorted(bars.items())]


def reused_bars(continuation: Score, given: Score) -> tuple[int, int]:
    """``(bars of the continuation equal to a bar of the given part, bars)``."""
    known = set(bar_patterns(given))
    patterns = bar_patterns(continuation)
    return sum(p in known for p in patterns), len(patterns)


def broken_voice_time(score: Score) -> tuple[int, int]:
    """``(ticks where a track holds two notes at once or is silent while another
    sounds, ticks where any track sounds)``, exact (no grid)."""
    tracks = [t for t in score.pitched_tracks() if t.notes]
    notes = [n for t in tracks for n in t.notes]
    if not notes:
        return 0, 0
    bounds = np.unique([x for n in notes for x in (n.start, n.end)])
    middles = (bounds[:-1] + bounds[1:]) / 2  # one point inside each elementary span
    counts = np.stack(
        [
            sum(((n.start < middles) & (middles < n.end)).astype(np.int64) for n in t.notes)
            for t in tracks
        ]
    )  # (tracks, spans)
    spans = np.diff(bounds)
    sounding = counts.sum(axis=0) > 0
    broken = sounding & ((counts >= 2).any(axis=0) | (counts == 0).any(axis=0))
    return int(spans[broken].sum()), int(spans[sounding].sum())


def outer_parallels(score: Score) -> tuple[int, int]:
    """``parallel_counts`` of the top and the bottom track (by median pitch)."""
    tracks = sorted(
        (t for t in score.pitched_tracks() if t.notes),
        key=lambda t: -float(np.median([n.pitch for n in t.notes])),
    )
    if len(tracks) < 2:
        return 0, 0
    return parallel_counts(voice_grid(Score([tracks[0], tracks[-1]], score.resolution)))


@dataclass
class Figures:
    pieces: int
    tonic_endings: float
    reuse: float
    parallels: float  # per 100 joint moves, all pairs
    outer_parallels: float
    broken_time: float
    outside_piano: int


def figures(
    continuations: Sequence[tuple[Score, Score]], endings: Sequence[tuple[Score, Score]]
) -> Figures:
    """Pooled figures of ``(continuation, given part)`` pairs; the tonic share is taken
    over ``endings`` (``(music whose end counts, music whose key counts)``)."""
    totals = np.zeros(8)
    for music, given in continuations:
        totals += [
            *reused_bars(music, given),
            *parallel_counts(voice_grid(music)),
            *outer_parallels(music),
            *broken_voice_time(music),
        ]
    tonic = [ends_on_tonic(music, key_of) for music, key_of in endings]
    known = [t for t in tonic if t is not None]
    return Figures(
        pieces=len(continuations),
        tonic_endings=_ratio(sum(known), len(known)),
        reuse=_ratio(totals[0], totals[1]),
        parallels=100 * _ratio(totals[2], totals[3]),
        outer_parallels=100 * _ratio(totals[4], totals[5]),
        broken_time=_ratio(totals[6], totals[7]),
        outside_piano=sum(
            not PIANO[0] <= n.pitch <= PIANO[1]
            for music, _ in continuations
            for n in music.all_notes()
        ),
    )


def _ratio(part: float, whole: float) -> float:
    return float(part / whole) if whole else math.nan


# ----- the command -------------------------------------------------------------------


def measure(style: str, split: str, pieces: int, seeds: int) -> dict[str, Figures]:
    """The real continuations and the Transformer's of ``pieces`` pieces of ``split``."""
    import torch

    from generation.transformer.model import sampler_factory, shipped_model
    from generation.transformer.quality import chosen_pieces, continuation
    from generation.transformer.voicing import bach_lower_voices

    torch.set_num_threads(1)
    chosen = chosen_pieces(style, pieces, split)
    factory = sampler_factory(shipped_model())
    real = [(crop(s, c, c + n), crop(s, 0, c)) for _, s, c, n in chosen]
    made = [
        (continuation(s, c, n, factory, seed, bach_lower_voices), crop(s, 0, c))  # c..c+n
        for _, s, c, n in chosen
        for seed in range(seeds)
    ]
    whole = [(s, s) for _, s, _, _ in chosen]
    return {
        "real continuation (real endings: the whole pieces')": figures(real, whole),
        "Transformer": figures(made, made),
    }


def table(style: str, split: str, rows: dict[str, Figures], seeds: int) -> str:
    lines = [
        f"### {style} ({split} split, {seeds} seed(s) per input)",
        "",
        "| set | pieces | ends on the tonic | bars reusing an input bar | parallels per 100 "
        "joint moves | outer-voice parallels | time where tracks are not voices | "
        "notes outside MIDI 21-108 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row.pieces} | {_percent(row.tonic_endings)} | {_percent(row.reuse)} | "
            f"{row.parallels:.2f} | {row.outer_parallels:.2f} | {_percent(row.broken_time)} | "
            f"{row.outside_piano} |"
        )
    return "\n".join(lines)


def _percent(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:.1f} %"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m generation.transformer.stats", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--style", action="append", choices=("folk", "chorale"))
    parser.add_argument("--split", choices=("validation", "test"), default="test")
    parser.add_argument("--pieces", type=int, default=40, help="pieces per style")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per piece")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.pieces < 1 or args.seeds < 1:
        parser.error("--pieces and --seeds must be at least 1")
    everything: dict[str, Any] = {}
    for style in args.style or ["folk", "chorale"]:
        rows = measure(style, args.split, args.pieces, args.seeds)
        print(table(style, args.split, rows, args.seeds) + "\n", flush=True)
        everything[style] = {name: asdict(row) for name, row in rows.items()}
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
