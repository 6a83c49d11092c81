"""``python -m generation.transformer.quality``: the Transformer against its baseline, in numbers.

Two measurements, both on the corpora's test splits, written into the model card between
the ``<!-- quality:start -->`` and ``<!-- quality:end -->`` markers and into
``generation/checkpoints/transformer/quality.json``:

* **Likelihood**: nats per token and perplexity of every test piece (the tokens after
  the style and meter), for the shipped Transformer and the order-3 Markov chain fitted
  on the training split (``generation.transformer.markov``).
* **Continuations** (when the evaluation profiles ``folk`` and ``bach-chorales`` exist):
  each test piece is cut at the bar line nearest its middle (at most bar 16), the first
  part is extended up to the bar ``k`` bars after the cut (``k`` as many bars as the
  piece has left and fit in 30 seconds), and bars ``cut..cut+k`` are judged by the
  evaluation library: the real continuation (held-out music), the Transformer's and the
  Markov chain's (same plan, grammar and sampling parameters, the studio's defaults), each
  generated with several seeds. Folk tunes are judged against the ``folk`` profile, the
  four-part chorales against ``bach-chorales``. The sample melodies, extended by the
  default 20 seconds, are judged too (no real continuation exists for them).

"Wins" count the pieces where the Transformer's continuation beats the Markov chain's on
realism (averaged over seeds).

``--c2st`` measures instead the independent check (:mod:`generation.c2st_quality`): a
classifier two-sample test of the same continuations (Transformer, and the Markov chain as
a reference row) against the real continuations of the same pieces, the same bars; it
writes the model card's "Independent check" section.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generation.c2st_quality import Comparison, commit_label
from generation.c2st_quality import run as c2st_run
from generation.c2st_quality import table as c2st_table
from generation.c2st_quality import write_into_card as c2st_write
from generation.checkpoint import CHECKPOINT_DIR
from generation.params import ParamValue
from generation.quality_tables import Row, cell, evaluate_rows, texture_table, write_into_card
from generation.registry import TRANSFORMER_PARAMS
from generation.transformer.extension import TokenModel, Voicing, beat_ticks, extend
from generation.transformer.markov import corpus_chain
from generation.transformer.markov import sampler_factory as markov_factory
from generation.transformer.model import sampler_factory, sequence_log_probs, shipped_model
from generation.transformer.tokens import CORPUS_OF_STYLE, STYLES, tokenized_split
from generation.transformer.voicing import bach_lower_voices
from music.score import Score
from music.transforms import crop

CARD = CHECKPOINT_DIR / "transformer" / "MODEL_CARD.md"
PROFILE_OF_STYLE = {"folk": "folk", "chorale": "bach-chorales"}
MAX_SECONDS = 30.0
MIN_BARS = 4  # continuations shorter than this are skipped (too little to judge)
Factory = Callable[[str], TokenModel]


# ----- likelihood --------------------------------------------------------------------


def likelihood() -> dict[str, dict[str, float]]:
    """Nats per token and perplexity on each test split, and on both together."""
    model, chain = shipped_model(), corpus_chain("train")
    totals: dict[str, list[float]] = {"transformer": [0.0, 0.0], "markov": [0.0, 0.0]}
    result: dict[str, dict[str, float]] = {}
    for style in STYLES:
        pieces = tokenized_split(style, "test")
        ours = np.concatenate(sequence_log_probs(model, pieces))
        theirs = np.concatenate([chain.log_probs(piece.tokens) for piece in pieces])
        result[style] = _nats(ours, theirs, len(pieces))
        for name, values in (("transformer", ours), ("markov", theirs)):
            totals[name][0] += -float(values.sum())
            totals[name][1] += len(values)
    result["both"] = {
        "tokens": totals["transformer"][1],
        **{
            f"{name}_{key}": value
            for name, (nats, count) in totals.items()
            for key, value in (("nats", nats / count), ("perplexity", math.exp(nats / count)))
        },
    }
    return result


def _nats(ours: np.ndarray, theirs: np.ndarray, pieces: int) -> dict[str, float]:
    return {
        "pieces": pieces,
        "tokens": len(ours),
        "transformer_nats": float(-ours.mean()),
        "transformer_perplexity": float(np.exp(-ours.mean())),
        "markov_nats": float(-theirs.mean()),
        "markov_perplexity": float(np.exp(-theirs.mean())),
    }


def likelihood_table(result: Mapping[str, Mapping[str, float]]) -> str:
    lines = [
        "| test split | pieces | tokens | Transformer nats/token | Transformer perplexity "
        "| Markov-3 nats/token | Markov-3 perplexity |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in result.items():
        label = {"folk": "folk", "chorale": "bach-chorales", "both": "both"}[name]
        lines.append(
            f"| {label} | {row.get('pieces', '')} | {row['tokens']:.0f} "
            f"| {row['transformer_nats']:.3f} | {row['transformer_perplexity']:.2f} "
            f"| {row['markov_nats']:.3f} | {row['markov_perplexity']:.2f} |"
        )
    return "\n".join(lines)


# ----- continuations -----------------------------------------------------------------


def cut_point(score: Score) -> tuple[int, int] | None:
    """``(cut bar, continuation bars)`` for a test piece, or None if too short."""
    bars = score.bar_count
    cut = min(16, max(2, bars // 2))
    bar_seconds = score.ticks_to_seconds(score.ticks_per_bar)
    length = min(bars - cut, int(MAX_SECONDS // bar_seconds))
    return (cut, length) if length >= MIN_BARS else None


def continuation(
    score: Score, cut: int, length: int, factory: Factory, seed: int, voicing: Voicing | None
) -> Score:
    """Bars ``cut..cut+length`` of ``crop(score, 0, cut)`` extended up to that bar line
    (four-part lower voices by ``voicing``, as the Transformer's :func:`generate` does)."""
    given = crop(score, 0, cut)
    beat = beat_ticks(given)
    start = math.ceil(given.end_tick / beat - 1e-9) * beat
    seconds = given.ticks_to_seconds((cut + length) * given.ticks_per_bar - start)
    params: dict[str, ParamValue] = {
        **TRANSFORMER_PARAMS.defaults(),
        "input_duration": 600,
        "extension_duration": min(seconds, MAX_SECONDS),
    }
    return crop(extend(given, params, seed, factory, voicing=voicing), cut, cut + length)


def chosen_pieces(
    style: str, pieces: int, split_name: str = "test"
) -> list[tuple[str, Score, int, int]]:
    """Up to ``pieces`` pieces of a split (the test split unless tuning) long enough to
    continue: ``(id, score, cut, bars)``."""
    from generation.data import load_split

    split = load_split(CORPUS_OF_STYLE[style], split_name)
    spread = np.random.default_rng(0).permutation(len(split))  # not just the first tunes
    chosen = []
    for index in spread:
        piece = split[int(index)]
        point = cut_point(piece.score)
        if point is not None:
            chosen.append((piece.id, piece.score, *point))
        if len(chosen) == pieces:
            break
    return chosen


def continuation_rows(style: str, pieces: int, seeds: int) -> list[Row]:
    """Real, Transformer and Markov continuations of up to ``pieces`` test pieces."""
    chosen = [(s, c, n) for _, s, c, n in chosen_pieces(style, pieces)]
    group = f"{CORPUS_OF_STYLE[style]} test split, continuations"
    ours, theirs = sampler_factory(shipped_model()), markov_factory(corpus_chain("train"))
    return [
        Row(group, "real continuation (held out)", [[crop(s, c, c + n)] for s, c, n in chosen]),
        Row(group, "Transformer", _generated(chosen, ours, seeds, bach_lower_voices)),
        Row(group, "Markov-3 (baseline)", _generated(chosen, theirs, seeds, None)),
    ]


def c2st_comparisons(style: str, pieces: int, seeds: int, split: str = "test") -> list[Comparison]:
    """The Transformer's and the Markov chain's continuations of test pieces (or, to tune
    settings, validation pieces) against the real continuations of the same pieces (same
    bars)."""
    chosen = chosen_pieces(style, pieces, split)
    real = [(piece_id, crop(s, c, c + n)) for piece_id, s, c, n in chosen]
    real_label = f"{CORPUS_OF_STYLE[style]} {split} split, the real continuation (same bars)"
    comparisons = []
    for label, factory, voicing in (
        ("Transformer", sampler_factory(shipped_model()), bach_lower_voices),
        ("Markov-3 baseline (reference)", markov_factory(corpus_chain("train")), None),
    ):
        made = _generated([(s, c, n) for _, s, c, n in chosen], factory, seeds, voicing)
        sources = [piece_id for piece_id, *_ in chosen]
        comparisons.append(
            Comparison(
                f"{label}, continuations of {CORPUS_OF_STYLE[style]} {split} pieces",
                real_label,
                real,
                list(zip(sources, made, strict=True)),
            )
        )
    return comparisons


def _generated(
    chosen: Sequence[tuple[Score, int, int]],
    factory: Factory,
    seeds: int,
    voicing: Voicing | None,
) -> list[list[Score]]:
    return [
        [continuation(s, c, n, factory, seed, voicing) for seed in range(seeds)]
        for s, c, n in chosen
    ]


def sample_rows(seeds: int) -> list[Row]:
    """The sample melodies extended by the default call; the extension alone is judged."""
    from music.catalogue import list_samples, load_sample

    melodies = [load_sample(sample.slug) for sample in list_samples()]
    group = "sample melodies, default 20 s extension"
    params = TRANSFORMER_PARAMS.defaults()
    rows = []
    for label, factory in (
        ("Transformer", sampler_factory(shipped_model())),
        ("Markov-3 (baseline)", markov_factory(corpus_chain("train"))),
    ):
        pieces = [
            [_extension_only(m, extend(m, params, seed, factory)) for seed in range(seeds)]
            for m in melodies
        ]
        rows.append(Row(group, label, pieces))
    return rows


def _extension_only(given: Score, out: Score) -> Score:
    first = given.end_tick // given.ticks_per_bar
    return crop(out, first, out.bar_count)


def quality_table(groups: Sequence[tuple[str, list[Row]]], seeds: int) -> str:
    lines = [
        f"Generated rows average {seeds} seeds per piece; mean ± standard deviation over "
        "pieces. Wins: pieces where the Transformer's realism beats the Markov chain's.",
        "",
        "| profile | group | row | pieces | score | realism | typicality | Fréchet | wins |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for profile, rows in groups:
        for row in rows:
            mates = [r for r in rows if r.group == row.group]
            ours = next(r for r in mates if r.label == "Transformer")
            theirs = next(r for r in mates if r.label.startswith("Markov"))
            wins = ""
            if row is ours:
                better = ours.values["realism"] > theirs.values["realism"]
                wins = f"{int(better.sum())}/{better.size}"
            cells = " | ".join(
                cell(row.values[key]) for key in ("score", "realism", "typicality", "frechet")
            )
            lines.append(
                f"| {profile} | {row.group} | {row.label} | {len(row.pieces)} | {cells} | {wins} |"
            )
    return "\n".join(lines)


def _summary(groups: Sequence[tuple[str, list[Row]]]) -> dict[str, Any]:
    return {
        f"{profile}: {row.group}: {row.label}": {
            key: float(np.nanmean(values)) for key, values in row.values.items()
        }
        for profile, rows in groups
        for row in rows
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m generation.transformer.quality", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--pieces", type=int, default=40, help="test pieces per corpus")
    parser.add_argument("--seeds", type=int, default=2, help="generation seeds per input")
    parser.add_argument(
        "--card", type=Path, default=CHECKPOINT_DIR / "transformer" / "MODEL_CARD.md"
    )
    parser.add_argument(
        "--c2st", action="store_true", help="run only the classifier two-sample test"
    )
    parser.add_argument("--c2st-dir", type=Path, help="--c2st: keep the MIDI sets here")
    parser.add_argument(
        "--split",
        choices=("validation", "test"),
        default="test",
        help="--c2st: the pieces to continue (validation to tune settings, test to report)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.c2st:
        commit = commit_label()
        comparisons = [
            c for s in STYLES for c in c2st_comparisons(s, args.pieces, args.seeds, args.split)
        ]
        reports = c2st_run(comparisons, args.c2st_dir)
        command = (
            f"python -m generation.transformer.quality --c2st --pieces {args.pieces} "
            f"--seeds {args.seeds}" + (f" --split {args.split}" if args.split != "test" else "")
        )
        c2st_write(args.card, c2st_table(reports, command, args.seeds, commit))
        print(f"written into {args.card}")
        return 0
    started = time.perf_counter()
    report: dict[str, Any] = {"likelihood": likelihood()}
    text = "Test-split likelihood (lower nats and perplexity are better):\n\n"
    text += likelihood_table(report["likelihood"])
    try:
        from evaluation.profile import load_profile

        for profile in PROFILE_OF_STYLE.values():
            load_profile(profile)
    except (ImportError, LookupError) as error:  # ProfileError is a LookupError
        print(f"no continuation figures: {error}", file=sys.stderr)
        text += "\n\nContinuation quality: not measured (the evaluation profiles were missing)."
    else:
        groups = []
        for style in STYLES:
            rows = continuation_rows(style, args.pieces, args.seeds)
            if style == "folk":
                rows += sample_rows(args.seeds)
            evaluate_rows(rows, PROFILE_OF_STYLE[style])
            groups.append((PROFILE_OF_STYLE[style], rows))
        report["continuations"] = _summary(groups)
        text += "\n\nContinuation quality (evaluation library):\n\n"
        text += quality_table(groups, args.seeds)
        text += "\n\nTexture (means over pieces and seeds):\n\n"
        text += texture_table([row for _, rows in groups for row in rows])
    report["seconds"] = round(time.perf_counter() - started, 1)
    (args.card.parent / "quality.json").write_text(json.dumps(report, indent=2) + "\n")
    write_into_card(args.card, text)
    print(text)
    print(f"\nwritten into {args.card} ({report['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
