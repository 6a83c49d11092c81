"""What the generators' quality scripts share: rows of pieces judged by the evaluation
library, plain texture facts, and the model card's marked section.

Like the other ``*quality`` modules this one may call the evaluation library (lazily):
only the generators themselves must never import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from music.score import Score

START, END = "<!-- quality:start -->", "<!-- quality:end -->"
COMPONENTS = ("realism", "typicality", "frechet")


@dataclass
class Row:
    group: str
    label: str
    pieces: list[list[Score]] = field(default_factory=list)  # per piece, one Score per seed
    inputs: list[Score] = field(default_factory=list)  # per piece, what was edited (if edited)
    values: dict[str, np.ndarray] = field(default_factory=dict)  # metric -> (pieces,)


def evaluate_rows(rows: Sequence[Row], profile_name: str) -> None:
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


def cell(values: np.ndarray) -> str:
    if values.size == 1:
        return f"{values[0]:.3f}"
    return f"{np.nanmean(values):.3f} ± {np.nanstd(values):.3f}"


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


def write_into_card(card: Path, text: str) -> None:
    content = card.read_text(encoding="utf-8") if card.exists() else f"{START}\n{END}\n"
    before, _, rest = content.partition(START)
    _, _, after = rest.partition(END)
    card.write_text(f"{before}{START}\n{text}\n{END}{after}", encoding="utf-8")
