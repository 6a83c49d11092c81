"""``python -m generation.arcnn.quality``: the AR-CNN's figures next to Bach's, the rule
harmoniser's and AWS's, on the same inputs.

Inputs: the 20 sample melodies, the sopranos of the test-split chorales (first 8 bars;
the real chorales are the reference) and DeepComposer's two Ode to Joy inputs (where
``../shared/testdata/deepcomposer/`` exists, with AWS's AR-CNN output on each). Systems:
the AR-CNN at its default parameters (``--seeds`` seeds per input), the project's strong
rule harmoniser (:func:`music.harmoniser.harmonise_score`, deterministic), the real
chorales and AWS's outputs. Figures, per group and system:

- hand statistics (:func:`generation.gan.baseline_quality.hand_statistics`, on four
  voices: a piece of another track count is split into four by register first): notes
  sounding on average, median note length, beats whose pitch classes form a triad or
  seventh chord (on strong beats and on every beat), strong beats whose pitch classes lie
  within one (incomplete chords too: the reading that gives issue #16's figures for Bach
  and AWS), the soprano a chord tone (on strong beats, and every soprano note), parallel
  fifths and octaves per 100
  moves between the outer voices and between any two voices;
- the judge's score (``--profile``, the piece's own source excluded from the copy
  check), median.

The table goes into the model card between ``<!-- quality:start -->`` and
``<!-- quality:end -->`` and the numbers into ``quality.json`` beside it. ``--c2st``
runs instead the independent classifier two-sample test (:mod:`generation.c2st_quality`)
of the AR-CNN's and the rule harmoniser's outputs against the real test-split chorales,
folds grouped by source melody, and writes the card's "Independent check" section.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generation.c2st_quality import Comparison
from generation.c2st_quality import commit_label as c2st_commit
from generation.c2st_quality import run as c2st_run
from generation.c2st_quality import table as c2st_table
from generation.c2st_quality import write_into_card as c2st_write
from generation.checkpoint import CHECKPOINT_DIR, REPO_ROOT, git_revision
from generation.gan.baseline_quality import (
    CHORDS,
    hand_statistics,
    judge_scores,
    sounding_classes,
)
from generation.quality_tables import write_into_card
from music.score import Score
from music.transforms import crop, merge_tracks, split_tracks

DEEPCOMPOSER_DIR = REPO_ROOT.parent / "shared" / "testdata" / "deepcomposer"
BARS = 8  # the bars of each test chorale: DeepComposer's input length
STATISTICS = (
    ("sounding", "notes sounding", "{:.2f}"),
    ("median_note_beats", "median note (beats)", "{:.2f}"),
    ("strong_chordal", "strong beats a triad or seventh", "{:.0%}"),
    ("strong_fit", "strong beats within a triad or seventh", "{:.0%}"),
    ("strong_chord_tones", "melody a chord tone on strong beats", "{:.0%}"),
    ("chordal_beats", "all beats a triad or seventh", "{:.0%}"),
    ("melody_chord_tones", "melody notes chord tones", "{:.0%}"),
    ("outer_parallels_per_100", "outer parallels /100 moves", "{:.2f}"),
    ("all_parallels_per_100", "all-pair parallels /100 moves", "{:.2f}"),
)


@dataclass
class Row:
    group: str
    label: str
    pieces: list[Score]  # every output (pieces x seeds)
    sources: list[str]  # the source of each, for the judge's copy-check exclusion
    values: dict[str, float] = field(default_factory=dict)


def soprano(chorale: Score) -> Score:
    """The chorale's first track alone (the soprano in the corpus's SATB order)."""
    return Score(
        [chorale.tracks[0]],
        resolution=chorale.resolution,
        tempo=chorale.tempo,
        time_signature=chorale.time_signature,
        title=chorale.title,
    )


def _arcnn() -> Callable[[Score, int], Score]:
    from generation.registry import generate

    return lambda score, seed: generate("arcnn", score, {}, seed)


def _rule() -> Callable[[Score, int], Score]:
    from music.harmoniser import harmonise_score

    return lambda score, seed: harmonise_score(score)


def _made(
    group: str,
    label: str,
    system: Callable[[Score, int], Score],
    inputs: Sequence[tuple[str, Score]],
    seeds: int,
) -> Row:
    pieces, sources = [], []
    for source, score in inputs:
        for seed in range(seeds):
            pieces.append(system(score, seed))
            sources.append(source)
    return Row(group, label, pieces, sources)


def held_out_chorales(pieces: int) -> list[tuple[str, Score]]:
    from music.corpus import load_corpus

    test = load_corpus("bach-chorales", split="test")[: pieces or None]
    return [(f"bach-chorales:{p.id}", crop(p.score, 0, BARS)) for p in test]


def sample_melodies() -> list[tuple[str, Score]]:
    from music.catalogue import list_samples, load_sample

    return [(f"sample:{s.slug}", load_sample(s.slug)) for s in list_samples()]


def rows(seeds: int, pieces: int) -> list[Row]:
    from music.midi_io import read_midi_file

    arcnn, rule = _arcnn(), _rule()
    melodies = sample_melodies()
    chorales = held_out_chorales(pieces)
    sopranos = [(source, soprano(score)) for source, score in chorales]
    group = f"test-split sopranos, first {BARS} bars"
    found = [
        _made("sample melodies", "AR-CNN", arcnn, melodies, seeds),
        _made("sample melodies", "rule harmoniser", rule, melodies, 1),
        _made(group, "AR-CNN", arcnn, sopranos, seeds),
        _made(group, "rule harmoniser", rule, sopranos, 1),
        Row(group, "Bach (held out)", [s for _, s in chorales], [c for c, _ in chorales]),
    ]
    for name in ("ode_to_joy", "ode_to_joy_offtune"):
        source, theirs = (
            DEEPCOMPOSER_DIR / f"input_{name}.mid",
            DEEPCOMPOSER_DIR / f"arcnn_output_{name}.mid",
        )
        if not (source.exists() and theirs.exists()):
            continue
        group = f"DeepComposer's {name.replace('_', ' ')}"
        given = [(f"deepcomposer:{name}", read_midi_file(source))]
        found += [
            _made(group, "AR-CNN", arcnn, given, seeds),
            _made(group, "rule harmoniser", rule, given, 1),
            Row(group, "AWS's AR-CNN", [read_midi_file(theirs)], [given[0][0]]),
        ]
    return found


def as_four_voices(score: Score) -> Score:
    """``score`` as four tracks, soprano to bass: as it is if it has four, else its notes
    split by register (:func:`music.transforms.split_tracks`; AWS's output is one track)."""
    if len(score.pitched_tracks()) == 4:
        return score
    return split_tracks(merge_tracks(score), 4)


def strong_beats(score: Score) -> list[int]:
    """Ticks of the strong beats: every bar's first beat, and its middle in a bar of an
    even number of beats (beats 1 and 3 of 4/4)."""
    bar, beats = score.ticks_per_bar, score.time_signature[0]
    offsets = [0, bar // 2] if beats % 2 == 0 and beats > 2 else [0]
    return [start + offset for start in range(0, score.end_tick, bar) for offset in offsets]


def strong_beat_statistics(scores: Sequence[Score]) -> dict[str, float]:
    """On strong beats (:func:`strong_beats`) where two notes or more sound, counting
    every note sounding in any part (:func:`sounding_classes`; a part may hold
    overlapping notes, as AWS's one piano track split by register does): the share whose
    pitch classes form a complete triad or seventh chord (``strong_chordal``), the share
    whose pitch classes all belong to one such chord, incomplete chords too
    (``strong_fit``: a triad without its fifth, a seventh without its fifth), and, where
    the soprano sounds, the same share (``strong_chord_tones``: the melody is a chord
    tone and nothing else sounding is foreign to that chord)."""
    chordal, fit, tones = [], [], []
    for score in scores:
        voices = [sorted(t.notes) for t in score.tracks]
        for beat in strong_beats(score):
            classes, notes = sounding_classes(voices, beat)
            if notes < 2:
                continue
            fits = any(classes <= chord for chord in CHORDS)
            chordal.append(classes in CHORDS)
            fit.append(fits)
            if sounding_classes(voices[:1], beat)[1]:
                tones.append(fits)
    return {
        "strong_chordal": float(np.mean(chordal)) if chordal else float("nan"),
        "strong_fit": float(np.mean(fit)) if fit else float("nan"),
        "strong_chord_tones": float(np.mean(tones)) if tones else float("nan"),
    }


def measure(found: Sequence[Row], profile: str) -> None:
    for row in found:
        voiced = [as_four_voices(score) for score in row.pieces]
        row.values = hand_statistics(voiced) | strong_beat_statistics(voiced)
        scores = judge_scores(row.pieces, row.sources, profile)
        if scores is not None:
            row.values["judge_median"] = float(np.median(scores))


def table(found: Sequence[Row], profile: str, seeds: int) -> str:
    header = ["group", "system", *(label for _, label, _ in STATISTICS), f"judge (`{profile}`)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in found:
        cells = [row.group, row.label]
        cells += [fmt.format(row.values[key]) for key, _, fmt in STATISTICS]
        judge = row.values.get("judge_median")
        cells.append("-" if judge is None else f"{judge:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return (
        f"Measured at `{git_revision()}` by `python -m generation.arcnn.quality --seeds {seeds}`"
        f": the AR-CNN at its default parameters, {seeds} seeds per input; the judge's "
        "median score with each piece's own source excluded from its copy check.\n\n"
        + "\n".join(lines)
    )


def c2st_comparisons(seeds: int, pieces: int) -> list[Comparison]:
    """The AR-CNN's and the rule harmoniser's outputs against the real test chorales."""
    arcnn, rule = _arcnn(), _rule()
    real = held_out_chorales(pieces)
    sopranos = [(source, soprano(score)) for source, score in real]
    label = f"bach-chorales test split, first {BARS} bars"

    def made(
        name: str,
        system: Callable[[Score, int], Score],
        given: Sequence[tuple[str, Score]],
        count: int,
    ) -> Comparison:
        fake = [(source, [system(score, seed) for seed in range(count)]) for source, score in given]
        return Comparison(name, label, real, fake)

    return [
        made("AR-CNN on the test sopranos", arcnn, sopranos, seeds),
        made("AR-CNN on the sample melodies", arcnn, sample_melodies(), seeds),
        made("rule harmoniser on the test sopranos", rule, sopranos, 1),
        made("the test sopranos alone (the input)", lambda s, _: s, sopranos, 1),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m generation.arcnn.quality", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--profile", default="bach-chorales")
    parser.add_argument("--seeds", type=int, default=3, help="generation seeds per input")
    parser.add_argument("--pieces", type=int, default=0, help="test chorales (0: all)")
    parser.add_argument("--card", type=Path, default=CHECKPOINT_DIR / "arcnn" / "MODEL_CARD.md")
    parser.add_argument("--c2st", action="store_true", help="run the classifier two-sample test")
    parser.add_argument("--c2st-dir", type=Path, help="--c2st: keep the MIDI sets here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.c2st:
        commit = c2st_commit()
        reports = c2st_run(c2st_comparisons(args.seeds, args.pieces), args.c2st_dir)
        command = f"python -m generation.arcnn.quality --c2st --seeds {args.seeds}"
        c2st_write(
            args.card,
            c2st_table(reports, f"{command} --pieces {args.pieces}", args.seeds, commit),
        )
        print(f"written into {args.card}")
        return 0
    found = rows(args.seeds, args.pieces)
    measure(found, args.profile)
    text = table(found, args.profile, args.seeds)
    write_into_card(args.card, text)
    results: dict[str, Any] = {f"{r.group} / {r.label}": r.values for r in found}
    (args.card.parent / "quality.json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)
    print(f"\nwritten into {args.card}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
