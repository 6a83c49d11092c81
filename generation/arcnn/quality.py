"""``python -m generation.arcnn.quality arcnn``: how Bach-like the AR-CNN's output is, with numbers.

Scores pieces with the evaluation library (``evaluation.evaluate_many`` against the
``bach-chorales`` profile) and writes a Markdown table into the model card, between the
``<!-- quality:start -->`` and ``<!-- quality:end -->`` markers, so the card always shows
what this script last measured. Groups, each the mean over its pieces (± standard
deviation) of the report's score and its realism, typicality and Fréchet components:

* the sample melodies: the input, the AR-CNN's output after the default call (100
  iterations per 8 bars), the same call at the lowest creative risk (0.5, a user
  parameter), and the baseline (uniformly random flips, same quotas);
* the first 8 bars of every chorale in the corpus's test split: the real four-part
  chorale (held-out real music), its soprano alone (the input), and the AR-CNN's (both
  creative risks) and the baseline's edits of that soprano;
* DeepComposer's own input and its AR-CNN's output for Ode to Joy (plain and off-tune)
  next to ours on the same input, where ``../shared/testdata/deepcomposer/`` exists.

Two tables need no profile and are always written: the texture of every row (note
count and length, notes per onset) and, for every edited row, the notes that were added
(how many, the share in the input's key, the share of consonant intervals with the
notes sounding at their start). Without the profile the evaluation table says so.

"Wins" count the pieces where the AR-CNN's output (the default call; the second column: at
creative risk 0.5) beats the other row on both realism and typicality (averaged over seeds).

``--c2st`` measures instead the independent check (:mod:`generation.c2st_quality`): a
classifier two-sample test of the AR-CNN's edits of the test-split sopranos (and of the
sample melodies) against the real test-split chorales, the same first 8 bars, with the
random-edits baseline and the soprano alone as reference rows; it writes the model card's
"Independent check" section.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from generation.c2st_quality import Comparison
from generation.c2st_quality import commit_label as c2st_commit
from generation.c2st_quality import run as c2st_run
from generation.c2st_quality import table as c2st_table
from generation.c2st_quality import write_into_card as c2st_write
from generation.checkpoint import CHECKPOINT_DIR, REPO_ROOT
from generation.params import ParamValue
from generation.registry import ARCNN_PARAMS
from music.score import Score
from music.transforms import crop

START, END = "<!-- quality:start -->", "<!-- quality:end -->"
COMPONENTS = ("realism", "typicality", "frechet")
DEEPCOMPOSER_DIR = REPO_ROOT.parent / "shared" / "testdata" / "deepcomposer"


@dataclass
class Row:
    group: str
    label: str
    pieces: list[list[Score]] = field(default_factory=list)  # per piece, one Score per seed
    inputs: list[Score] = field(default_factory=list)  # per piece, what was edited (if edited)
    values: dict[str, np.ndarray] = field(default_factory=dict)  # metric -> (pieces,)


def _evaluate(rows: Sequence[Row], profile_name: str) -> None:
    from evaluation.evaluate import evaluate_many
    from evaluation.profile import load_profile

    profile = load_profile(profile_name)
    flat = [score for row in rows for piece in row.pieces for score in piece]
    reports = iter(evaluate_many(flat, profile))
    for row in rows:
        per_piece: dict[str, list[float]] = {key: [] for key in ("score", *COMPONENTS)}
        for piece in row.pieces:
            piece_reports = [next(reports) for _ in piece]
            per_piece["score"].append(float(np.mean([r.score for r in piece_reports])))
            for key in COMPONENTS:
                per_piece[key].append(
                    float(np.mean([r.components.get(key, np.nan) for r in piece_reports]))
                )
        row.values = {key: np.array(values) for key, values in per_piece.items()}


LOW_RISK = 0.5  # the lowest creative risk a user may choose
LOW_RISK_LABEL = f"AR-CNN, creative risk {LOW_RISK}"


def _edits(
    function: Callable[[Score, Mapping[str, ParamValue], int], Score],
    inputs: list[Score],
    seeds: int,
    **overrides: ParamValue,
) -> list[list[Score]]:
    params = {**ARCNN_PARAMS.defaults(), **overrides}
    return [[function(score, params, seed) for seed in range(seeds)] for score in inputs]


def arcnn_rows(seeds: int) -> list[Row]:
    from generation.arcnn.model import generate, random_edits
    from music.catalogue import list_samples, load_sample
    from music.corpus import load_corpus
    from music.midi_io import read_midi_file

    melodies = [load_sample(sample.slug) for sample in list_samples()]
    rows = [
        Row("Sample melodies", "input", [[m] for m in melodies]),
        Row("Sample melodies", "AR-CNN", _edits(generate, melodies, seeds), melodies),
        Row(
            "Sample melodies",
            LOW_RISK_LABEL,
            _edits(generate, melodies, seeds, creative_risk=LOW_RISK),
            melodies,
        ),
        Row(
            "Sample melodies",
            "random edits (baseline)",
            _edits(random_edits, melodies, seeds),
            melodies,
        ),
    ]
    chorales = [crop(piece.score, 0, 8) for piece in load_corpus("bach-chorales", split="test")]
    sopranos = [_soprano(chorale) for chorale in chorales]
    rows += [
        Row(
            "Test-split chorales, first 8 bars", "real chorale (held out)", [[c] for c in chorales]
        ),
        Row("Test-split chorales, first 8 bars", "soprano alone (input)", [[s] for s in sopranos]),
        Row(
            "Test-split chorales, first 8 bars",
            "AR-CNN on the soprano",
            _edits(generate, sopranos, seeds),
            sopranos,
        ),
        Row(
            "Test-split chorales, first 8 bars",
            f"{LOW_RISK_LABEL} on the soprano",
            _edits(generate, sopranos, seeds, creative_risk=LOW_RISK),
            sopranos,
        ),
        Row(
            "Test-split chorales, first 8 bars",
            "random edits on the soprano",
            _edits(random_edits, sopranos, seeds),
            sopranos,
        ),
    ]
    for name in ("ode_to_joy", "ode_to_joy_offtune"):
        source = DEEPCOMPOSER_DIR / f"input_{name}.mid"
        theirs = DEEPCOMPOSER_DIR / f"arcnn_output_{name}.mid"
        if not (source.exists() and theirs.exists()):
            continue
        group = f"DeepComposer's {name.replace('_', ' ')} file"
        given = read_midi_file(source)
        rows += [
            Row(group, "input", [[given]]),
            Row(group, "DeepComposer's AR-CNN", [[read_midi_file(theirs)]], [given]),
            Row(group, "AR-CNN (ours)", _edits(generate, [given], seeds), [given]),
            Row(
                group,
                f"{LOW_RISK_LABEL} (ours)",
                _edits(generate, [given], seeds, creative_risk=LOW_RISK),
                [given],
            ),
        ]
    return rows


def _soprano(chorale: Score) -> Score:
    """The chorale's first track alone (the soprano in the corpus's SATB order)."""
    return Score(
        [chorale.tracks[0]],
        resolution=chorale.resolution,
        tempo=chorale.tempo,
        time_signature=chorale.time_signature,
        title=chorale.title,
    )


def _cell(values: np.ndarray) -> str:
    if values.size == 1:
        return f"{values[0]:.3f}"
    return f"{np.nanmean(values):.3f} ± {np.nanstd(values):.3f}"


def _wins(ours: Row, other: Row) -> str:
    better = (ours.values["realism"] > other.values["realism"]) & (
        ours.values["typicality"] > other.values["typicality"]
    )
    return f"{int(better.sum())}/{better.size}"


def table(rows: Sequence[Row], profile: str, seeds: int) -> str:
    lines = [
        f"Profile `{profile}`; AR-CNN and baseline rows average {seeds} seeds per piece; "
        "mean ± standard deviation over pieces. Wins: pieces where the AR-CNN (default call; "
        f"then at creative risk {LOW_RISK}) beats that row on both realism and typicality.",
        "",
        "| group | row | pieces | score | realism | typicality | Fréchet | AR-CNN wins "
        f"| risk {LOW_RISK} wins |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        mine = [r for r in rows if r.group == row.group and r.label.startswith("AR-CNN")]
        default = [r for r in mine if not r.label.startswith(LOW_RISK_LABEL)]
        low_risk = [r for r in mine if r.label.startswith(LOW_RISK_LABEL)]
        wins = [
            _wins(ours[0], row)
            if ours and not row.label.startswith("AR-CNN") and "real" not in row.label
            else ""
            for ours in (default, low_risk)
        ]
        cells = [_cell(row.values[key]) for key in ("score", *COMPONENTS)]
        lines.append(
            f"| {row.group} | {row.label} | {len(row.pieces)} | "
            + " | ".join(cells)
            + f" | {wins[0]} | {wins[1]} |"
        )
    return "\n".join(lines)


def texture(score: Score) -> dict[str, float]:
    """Plain facts about the notes: count, median length in beats, share of sixteenths
    (one grid cell, the length of a note the sampler adds in one iteration) and the mean
    number of notes sounding at each onset."""
    notes = score.all_notes()
    if not notes:
        return {"notes": 0, "median_beats": np.nan, "sixteenths": np.nan, "voices": np.nan}
    beats = np.array([n.duration / score.resolution for n in notes])
    starts = np.array([n.start for n in notes])
    ends = np.array([n.end for n in notes])
    onsets = np.unique(starts)
    sounding = [int(((starts <= t) & (ends > t)).sum()) for t in onsets]
    return {
        "notes": len(notes),
        "median_beats": float(np.median(beats)),
        "sixteenths": float(np.mean(beats <= 0.26)),
        "voices": float(np.mean(sounding)),
    }


def texture_table(rows: Sequence[Row]) -> str:
    lines = [
        "| group | row | notes | median length (beats) | one-sixteenth notes "
        "| notes sounding per onset |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        facts = [texture(score) for piece in row.pieces for score in piece]
        mean = {key: float(np.nanmean([f[key] for f in facts])) for key in facts[0]}
        lines.append(
            f"| {row.group} | {row.label} | {mean['notes']:.0f} | {mean['median_beats']:.2f} | "
            f"{100 * mean['sixteenths']:.0f} % | {mean['voices']:.2f} |"
        )
    return "\n".join(lines)


MAJOR_SCALE = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], dtype=np.bool_)
CONSONANT = (0, 3, 4, 5, 7, 8, 9)  # semitones mod 12: unison/octave, thirds, fourth, fifth, sixths


def key_pitch_classes(score: Score) -> np.ndarray:
    """The major scale (or its relative minor) best matching the duration-weighted
    pitch-class histogram of ``score``."""
    histogram = np.zeros(12)
    for note in score.all_notes():
        histogram[note.pitch % 12] += note.duration
    tonic = max(range(12), key=lambda k: histogram[np.roll(MAJOR_SCALE, k)].sum())
    return np.roll(MAJOR_SCALE, tonic)


def added_notes(given: Score, out: Score) -> dict[str, float]:
    """Of the notes in ``out`` that start where no note of that pitch started in ``given``:
    how many, the share in ``given``'s key, and the share of their intervals to the notes
    sounding at their start that are consonant."""
    scale = key_pitch_classes(given)
    old = {(n.start, n.pitch) for n in given.all_notes()}
    notes = out.all_notes()
    new = [n for n in notes if (n.start, n.pitch) not in old]
    if not new:
        return {"added": 0, "in_key": np.nan, "consonant": np.nan}
    intervals = [
        abs(n.pitch - other.pitch) % 12 in CONSONANT
        for n in new
        for other in notes
        if other is not n and other.start <= n.start < other.end
    ]
    return {
        "added": len(new),
        "in_key": float(np.mean([scale[n.pitch % 12] for n in new])),
        "consonant": float(np.mean(intervals)) if intervals else np.nan,
    }


def added_notes_table(rows: Sequence[Row]) -> str:
    lines = [
        "| group | row | added notes | in the input's key | consonant with what sounds |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        if not row.inputs:
            continue
        facts = [
            added_notes(given, out)
            for given, piece in zip(row.inputs, row.pieces, strict=True)
            for out in piece
        ]
        mean = {key: float(np.nanmean([f[key] for f in facts])) for key in facts[0]}
        lines.append(
            f"| {row.group} | {row.label} | {mean['added']:.0f} | {100 * mean['in_key']:.0f} % | "
            f"{100 * mean['consonant']:.0f} % |"
        )
    return "\n".join(lines)


def write_into_card(card: Path, text: str) -> None:
    content = card.read_text(encoding="utf-8") if card.exists() else f"{START}\n{END}\n"
    before, _, rest = content.partition(START)
    _, _, after = rest.partition(END)
    card.write_text(f"{before}{START}\n{text}\n{END}{after}", encoding="utf-8")


SUITES = {"arcnn": arcnn_rows}
C2ST_BARS = 8  # the bars the quality report edits and judges


def c2st_comparisons(seeds: int, pieces: int) -> list[Comparison]:
    """The AR-CNN's (and the references') outputs on held-out inputs against the real
    test-split chorales, first 8 bars; ``pieces`` test chorales at most (0: all)."""
    from generation.arcnn.model import generate, random_edits
    from music.catalogue import list_samples, load_sample
    from music.corpus import load_corpus

    test = load_corpus("bach-chorales", split="test")[: pieces or None]
    real = [(piece.id, crop(piece.score, 0, C2ST_BARS)) for piece in test]
    sopranos = [_soprano(chorale) for _, chorale in real]
    ids = [source for source, _ in real]
    melodies = [load_sample(sample.slug) for sample in list_samples()]
    chorales = f"bach-chorales test split, first {C2ST_BARS} bars"

    def made(label: str, edits: list[list[Score]], sources: list[str] = ids) -> Comparison:
        return Comparison(label, chorales, real, list(zip(sources, edits, strict=True)))

    return [
        made("AR-CNN on the test sopranos", _edits(generate, sopranos, seeds)),
        made(
            f"AR-CNN, creative risk {LOW_RISK}, on the test sopranos",
            _edits(generate, sopranos, seeds, creative_risk=LOW_RISK),
        ),
        made(
            "AR-CNN on the sample melodies",
            _edits(generate, melodies, seeds),
            [f"sample-{sample.slug}" for sample in list_samples()],
        ),
        made("random edits on the test sopranos (baseline)", _edits(random_edits, sopranos, seeds)),
        made("the test sopranos alone (the input)", [[s] for s in sopranos]),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m generation.arcnn.quality", description=__doc__.split("\n")[0]
    )
    parser.add_argument("technique", choices=sorted(SUITES))
    parser.add_argument("--profile", default="bach-chorales")
    parser.add_argument("--seeds", type=int, default=3, help="generation seeds per input")
    parser.add_argument("--card", type=Path, default=None, help="model card to update")
    parser.add_argument(
        "--c2st", action="store_true", help="run only the classifier two-sample test"
    )
    parser.add_argument("--pieces", type=int, default=0, help="--c2st: test chorales (0: all)")
    parser.add_argument("--c2st-dir", type=Path, help="--c2st: keep the MIDI sets here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    card = args.card or CHECKPOINT_DIR / args.technique / "MODEL_CARD.md"
    if args.c2st:
        commit = c2st_commit()
        reports = c2st_run(c2st_comparisons(args.seeds, args.pieces), args.c2st_dir)
        command = f"python -m generation.arcnn.quality arcnn --c2st --seeds {args.seeds}"
        c2st_write(
            card, c2st_table(reports, f"{command} --pieces {args.pieces}", args.seeds, commit)
        )
        print(f"written into {card}")
        return 0
    from evaluation.profile import ProfileError, load_profile

    rows = SUITES[args.technique](args.seeds)
    try:
        load_profile(args.profile)
    except ProfileError as error:
        evaluated = f"Not measured yet: {error} Rerun this script once the profile has landed."
    else:
        _evaluate(rows, args.profile)
        evaluated = table(rows, args.profile, args.seeds)
    text = (
        evaluated
        + "\n\nTexture (means over pieces and seeds):\n\n"
        + texture_table(rows)
        + "\n\nNotes the generator added (means over pieces and seeds; no profile needed):\n\n"
        + added_notes_table(rows)
    )
    write_into_card(card, text)
    print(text)
    print(f"\nwritten into {card}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
