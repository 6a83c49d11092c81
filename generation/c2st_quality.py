"""The generators' independent check: a classifier two-sample test against held-out music.

Every quality report (``--c2st``) hands this module what its generator made from
held-out inputs and the matching held-out real music; it writes both as MIDI files and
runs :func:`evaluation.c2st.compare_dirs` on them (hand descriptors, independent of the
judge's critics; folds grouped by source piece; a real-vs-real control). The figures go
to stdout and into the model card between the ``<!-- c2st:start -->`` and
``<!-- c2st:end -->`` markers, under the heading :data:`HEADING`.

File names carry the groups: the real piece ``<source>.mid`` and what a generator made
from it ``<source>__seed<k>.mid`` are one group (:func:`evaluation.c2st.group_of`), so
no classifier is tested on a piece whose source it saw in training.

Like the other ``*quality`` modules this one may call the evaluation library: only the
generators themselves must never import it (``tests/generation/test_independence.py``).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generation.checkpoint import git_revision
from music.midi_io import score_to_midi
from music.score import Score

START, END = "<!-- c2st:start -->", "<!-- c2st:end -->"
HEADING = "## Independent check: classifier two-sample test"
READING = (
    "C2ST accuracy is the balanced accuracy on held-out folds of the better of two "
    "classifiers (logistic regression, k nearest neighbours) on `evaluation.descriptors`' "
    "hand features: 0.5 means the classifier cannot tell the generated pieces from the "
    "real ones, 1.0 that it tells them apart every time. The control is the same test on "
    "the real set split in two halves by piece: the accuracy two samples of the same "
    "music reach, i.e. the noise level of a set this size."
)


@dataclass(frozen=True)
class Comparison:
    """One test: generated pieces (per source, one per seed) against real ones."""

    label: str  # what was generated, from what
    real_label: str  # what the real side is
    real: list[tuple[str, Score]]  # (source, real piece)
    fake: list[tuple[str, list[Score]]]  # (source, one generated piece per seed)


def file_stem(source: str) -> str:
    """A source id as a file stem without the group separator (``__``)."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", source).strip("-") or "piece"


def write_set(folder: Path, pieces: Sequence[tuple[str, Sequence[Score]]]) -> int:
    """``folder/<source>.mid`` for one piece per source, ``<source>__seed<k>.mid`` for
    several; returns the number of files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for source, scores in pieces:
        stem = file_stem(source)
        for seed, score in enumerate(scores):
            name = f"{stem}__seed{seed}.mid" if len(scores) > 1 else f"{stem}.mid"
            (folder / name).write_bytes(score_to_midi(score))
            written += 1
    return written


def run(
    comparisons: Sequence[Comparison], out_dir: Path | None = None, *, seed: int = 0
) -> list[dict[str, Any]]:
    """Write each comparison's two sets under ``out_dir`` (a temporary folder if None) and
    test them; returns :func:`evaluation.c2st.compare_dirs`' reports with the labels."""
    if out_dir is None:
        with tempfile.TemporaryDirectory(prefix="c2st-") as temporary:
            return run(comparisons, Path(temporary), seed=seed)
    from evaluation.c2st import compare_dirs, format_report

    reports = []
    for number, comparison in enumerate(comparisons):
        folder = out_dir / f"{number:02d}-{file_stem(comparison.label).lower()}"
        write_set(folder / "real", [(source, [score]) for source, score in comparison.real])
        # A fake set has the same file names as the real one (plus seeds) in its own folder.
        write_set(folder / "generated", comparison.fake)
        report = compare_dirs(folder / "real", folder / "generated", seed=seed)
        report.update(label=comparison.label, real_label=comparison.real_label)
        print(f"{comparison.label} vs {comparison.real_label}\n{format_report(report)}\n")
        reports.append(report)
    return reports


def commit_label() -> str:
    """The short commit the figures are measured at (``+dirty`` with local changes); call
    it before generating, so that edits made while a run goes on do not show."""
    revision = git_revision()
    return revision[:12] + ("+dirty" if revision.endswith("+dirty") else "")


def table(reports: Sequence[dict[str, Any]], command: str, seeds: int, commit: str) -> str:
    """The card's Markdown: the command, the commit, and one row per comparison."""
    lines = [
        f"Measured by `{command}` at commit `{commit}` "
        f"({seeds} seed{'s' if seeds != 1 else ''} per generated input; 5 folds grouped by "
        "source piece). " + READING,
        "",
        "| generated | real (held out) | real pieces | generated pieces | groups "
        "| C2ST accuracy | logistic | kNN | p | control: real vs real (logistic / kNN) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        result, control = report["result"], report["control"]
        check = (
            "n/a (too few real pieces)"
            if control is None
            else f"{control['accuracy']:.3f} ({control['logistic']:.3f} / {control['knn']:.3f})"
        )
        lines.append(
            f"| {report['label']} | {report['real_label']} | {result['n_a']} | {result['n_b']} "
            f"| {result['groups']} | **{result['accuracy']:.3f}** | {result['logistic']:.3f} "
            f"| {result['knn']:.3f} | {_p(result['p_value'])} | {check} |"
        )
    skipped = [line for report in reports for line in report["skipped"]]
    if skipped:
        lines += ["", f"Skipped (not valid MIDI): {len(skipped)} files."]
    return "\n".join(lines)


def _p(value: float) -> str:
    return "< 1e-4" if value < 1e-4 else f"{value:.2g}"


def write_into_card(card: Path, text: str) -> None:
    """Replace the text between the markers; a card without them gets the section at its end."""
    content = card.read_text(encoding="utf-8") if card.exists() else ""
    if START not in content:
        content = f"{content.rstrip()}\n\n{HEADING}\n\n{START}\n{END}\n".lstrip()
    before, _, rest = content.partition(START)
    _, _, after = rest.partition(END)
    card.write_text(f"{before}{START}\n{text}\n{END}{after}", encoding="utf-8")
