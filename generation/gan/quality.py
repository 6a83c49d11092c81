"""``python -m generation.gan.quality [--style S ...] [--pieces N]``: the GAN's model-card figures.

For every test-split piece of a style's corpus with at least four parts (the first
``--bars`` bars), the top part alone is the input, accompanied by the shipped GAN, by
the same checkpoint read off with the plain argmax per step (``argmax``: the decoding of
model version ``gan-1``), by the same generator untrained (random weights) and by the
rule-based baseline (:mod:`generation.gan.baseline`); the real piece, cut to four parts
(top, the two next, lowest), stands beside them. Each is judged against the style's
evaluation profile (``evaluation.evaluate_many``: realism, typicality, Fréchet, overall
score), and the tonal distance between the melody and each of the three other tracks is
measured (``evaluation.metrics.tonal_distance``; lower is closer in harmony), with a few
plain texture figures (:func:`texture`). Without the profile only these are reported. The
figures go to stdout as Markdown tables and to ``generation/checkpoints/gan/quality.json``.

``--c2st`` measures instead the independent check (:mod:`generation.c2st_quality`): a
classifier two-sample test of each style's GAN accompaniments against the real four-part
pieces they were made from, with the untrained generator and the rule-based baseline as
reference rows; it writes the model card's "Independent check" section.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from evaluation.metrics.harmony import tonal_distance
from generation.c2st_quality import Comparison, commit_label
from generation.c2st_quality import run as c2st_run
from generation.c2st_quality import table as c2st_table
from generation.c2st_quality import write_into_card as c2st_write
from generation.checkpoint import CHECKPOINT_DIR
from generation.gan.baseline import harmonise, melody_key
from generation.gan.model import accompany, shipped_model, untrained_model
from generation.gan.styles import STYLES, Decoding
from generation.stats import parallel_rate, test_pieces, voice_grid
from music.score import Score

OUT = CHECKPOINT_DIR / "gan" / "quality.json"
CARD = CHECKPOINT_DIR / "gan" / "MODEL_CARD.md"
SYSTEMS = ("real", "gan", "argmax", "untrained", "baseline")


def systems(style: str) -> dict[str, Callable[[Score], Score]]:
    trained, untrained = shipped_model(style), untrained_model(style)
    chosen = STYLES[style]
    argmax = replace(chosen, decoding=Decoding(viterbi=False))
    return {
        "real": lambda score: score,
        "gan": lambda score: accompany(melody_only(score), trained, chosen, 0),
        "argmax": lambda score: accompany(melody_only(score), trained, argmax, 0),
        "untrained": lambda score: accompany(melody_only(score), untrained, chosen, 0),
        "baseline": lambda score: harmonise(melody_only(score), style),
    }


def melody_only(score: Score) -> Score:
    return replace(score, tracks=[score.tracks[0]])


def tonal_distances(scores: Sequence[Score]) -> list[float]:
    """Mean tonal distance from track 0 (the melody) to tracks 1, 2 and 3, over pieces."""
    return [float(np.nanmean([tonal_distance(s, 0, k) for s in scores])) for k in range(1, 4)]


def texture(scores: Sequence[Score]) -> dict[str, float]:
    """What the accompaniment (tracks 1-3) does: notes per bar, mean note length in beats,
    share of its sounding time in the melody's key (major, or minor with the raised
    seventh), share of the time all three voices sound, and parallel fifths and octaves
    among all four tracks."""
    per_bar, lengths, in_key, full, parallels = [], [], [], [], []
    for score in scores:
        voices = [n for t in score.tracks[1:] for n in t.notes]
        per_bar.append(len(voices) / max(1, score.bar_count))
        lengths += [n.duration / score.resolution for n in voices]
        tonic, mode = melody_key(score.tracks[0].notes)
        degrees = (0, 2, 4, 5, 7, 9, 11) if mode == "major" else (0, 2, 3, 5, 7, 8, 10, 11)
        scale = {(tonic + d) % 12 for d in degrees}
        total = sum(n.duration for n in voices)
        in_key.append(sum(n.duration for n in voices if n.pitch % 12 in scale) / max(total, 1))
        grid = voice_grid(score)
        full.append(float((grid[1:] >= 0).all(axis=0).mean()))
        parallels.append(parallel_rate(grid))
    return {
        "notes_per_bar": float(np.mean(per_bar)),
        "note_beats": float(np.mean(lengths)) if lengths else math.nan,
        "in_key": float(np.mean(in_key)),
        "all_voices": float(np.mean(full)),
        "parallels": float(np.mean(parallels)),
    }


def judge(scores: Sequence[Score], profile_name: str) -> dict[str, float] | None:
    """Mean realism, typicality, Fréchet and score against the profile, or None without it."""
    from evaluation.evaluate import evaluate_many
    from evaluation.profile import ProfileError, load_profile

    try:
        profile = load_profile(profile_name)
    except ProfileError as error:
        print(f"no evaluation profile: {error}", file=sys.stderr)
        return None
    reports = evaluate_many(list(scores), profile)
    figures = {
        key: float(np.mean([r.components[key] for r in reports]))
        for key in ("realism", "typicality", "frechet")
    }
    figures["score"] = float(np.mean([r.score for r in reports]))
    figures["flagged"] = float(np.mean([not r.ranked for r in reports]))
    return figures


def measure(style: str, bars: int, limit: int) -> dict[str, Any]:
    torch.set_num_threads(1)
    pieces = test_pieces(style, bars, limit)
    results: dict[str, Any] = {"pieces": len(pieces), "bars": bars, "systems": {}}
    for name, make in systems(style).items():
        started = time.perf_counter()
        outputs = [make(score) for _, score in pieces]
        seconds = time.perf_counter() - started
        results["systems"][name] = {
            "tonal_distance": [round(d, 4) for d in tonal_distances(outputs)],
            "texture": {k: round(v, 4) for k, v in texture(outputs).items()},
            "judge": judge(outputs, STYLES[style].corpus),
            "seconds": round(seconds, 2),
        }
    return results


def table(style: str, results: dict[str, Any]) -> str:
    pieces, bars = results["pieces"], results["bars"]
    lines = [
        f"### {STYLES[style].title} ({pieces} test pieces, first {bars} bars)",
        "",
        "| system | realism | typicality | Fréchet | score | tonal distance melody-alto / "
        "-tenor / -bass |",
        "|---|---|---|---|---|---|",
    ]
    for name in SYSTEMS:
        entry = results["systems"][name]
        judged = entry["judge"] or {}
        cells = [_cell(judged.get(k), 3) for k in ("realism", "typicality", "frechet")]
        cells.append(_cell(judged.get("score"), 1))
        distances = " / ".join(f"{d:.3f}" for d in entry["tonal_distance"])
        lines.append(f"| {name} | {' | '.join(cells)} | {distances} |")
    lines += [
        "",
        "| system | voice notes per bar | mean note (beats) | in key | all three sound | "
        "parallel 5ths/8ves per 100 moves |",
        "|---|---|---|---|---|---|",
    ]
    for name in SYSTEMS:
        t = results["systems"][name]["texture"]
        lines.append(
            f"| {name} | {t['notes_per_bar']:.1f} | {t['note_beats']:.2f} | {t['in_key']:.3f} | "
            f"{t['all_voices']:.3f} | {t['parallels']:.1f} |"
        )
    return "\n".join(lines)


def _cell(value: float | None, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


C2ST_SYSTEMS = {
    "gan": "GAN",
    "untrained": "untrained generator (reference)",
    "baseline": "rule harmoniser baseline (reference)",
}


def c2st_comparisons(style: str, bars: int, limit: int) -> list[Comparison]:
    """Each system's accompaniment of the test pieces' top parts against the real pieces
    (four parts, the same bars), one comparison per system."""
    torch.set_num_threads(1)
    pieces = test_pieces(style, bars, limit)
    made = systems(style)
    real_label = f"{STYLES[style].corpus} test split, four parts, first {bars} bars"
    return [
        Comparison(
            f"{title}, {style} style",
            real_label,
            pieces,
            [(source, [made[name](score)]) for source, score in pieces],
        )
        for name, title in C2ST_SYSTEMS.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generation.gan.quality")
    parser.add_argument("--style", action="append", choices=sorted(STYLES))
    parser.add_argument("--bars", type=int, default=32, help="bars of each test piece")
    parser.add_argument("--pieces", type=int, default=0, help="at most this many (0: all)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--c2st", action="store_true", help="run only the classifier two-sample test"
    )
    parser.add_argument("--card", type=Path, default=CARD, help="--c2st: model card to update")
    parser.add_argument("--c2st-dir", type=Path, help="--c2st: keep the MIDI sets here")
    args = parser.parse_args(argv)
    if args.c2st:
        commit = commit_label()
        chosen = args.style or list(STYLES)
        comparisons = [c for s in chosen for c in c2st_comparisons(s, args.bars, args.pieces)]
        reports = c2st_run(comparisons, args.c2st_dir)
        command = (
            "python -m generation.gan.quality --c2st "
            + "".join(f"--style {s} " for s in chosen)
            + f"--bars {args.bars} --pieces {args.pieces}"
        )
        c2st_write(args.card, c2st_table(reports, command, 1, commit))
        print(f"written into {args.card}")
        return 0
    everything = {}
    for style in args.style or list(STYLES):
        everything[style] = measure(style, args.bars, args.pieces)
        print(table(style, everything[style]) + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(everything, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
