"""The generators' independent check: generated and real sets written as MIDI grouped by
source, through ``evaluation.c2st``, into the model card; and each quality report's
``--c2st`` end to end on a few test pieces."""

from __future__ import annotations

import re

import numpy as np
import pytest

from generation.c2st_quality import (
    END,
    HEADING,
    START,
    Comparison,
    file_stem,
    run,
    table,
    write_into_card,
)
from music.score import Note, Score, Track


def chorale_like(seed: int) -> Score:
    """Four diatonic voices in quarter notes (C major)."""
    rng = np.random.default_rng(seed)
    scale = [0, 2, 4, 5, 7, 9, 11]
    tracks = []
    for base in (72, 64, 55, 48):
        degrees = rng.integers(0, 7, size=16)
        notes = [Note(i * 480, base + scale[d], 480, 80) for i, d in enumerate(degrees)]
        tracks.append(Track(notes))
    return Score(tracks)


def cluster_noise(seed: int) -> Score:
    """One track of chromatic sixteenth-note clusters over four octaves."""
    rng = np.random.default_rng(1000 + seed)
    notes = [
        Note(i * 120, int(p), 120, 80)
        for i in range(64)
        for p in rng.choice(np.arange(36, 84), size=3, replace=False)
    ]
    return Score([Track(notes)])


def test_a_source_id_becomes_a_stem_without_the_group_separator() -> None:
    assert file_stem("bach/bwv253__x.mxl#2") == "bach-bwv253-x.mxl-2"
    assert "__" not in file_stem("a__b")


def test_generated_and_real_sets_go_through_the_c2st_grouped_by_source(tmp_path, capsys) -> None:
    sources = [f"piece{i}" for i in range(12)]
    real = [(s, chorale_like(i)) for i, s in enumerate(sources)]
    fake = [(s, [cluster_noise(2 * i), cluster_noise(2 * i + 1)]) for i, s in enumerate(sources)]
    like = [(s, [chorale_like(100 + i)]) for i, s in enumerate(sources)]
    reports = run(
        [Comparison("noise", "chorale-like", real, fake), Comparison("alike", "c", real, like)],
        tmp_path,
    )
    folder = tmp_path / "00-noise"
    assert sorted(p.name for p in (folder / "real").iterdir())[:2] == ["piece0.mid", "piece1.mid"]
    assert (folder / "generated" / "piece0__seed1.mid").exists()
    noise, alike = (report["result"] for report in reports)
    # A generated piece shares its source's group: 12 groups, not 12 + 24.
    assert (noise["n_a"], noise["n_b"], noise["groups"]) == (12, 24, 12)
    assert noise["accuracy"] > 0.9
    assert alike["accuracy"] < noise["accuracy"]
    assert reports[0]["control"] is not None
    assert "noise vs chorale-like" in capsys.readouterr().out

    text = table(reports, "python -m something --c2st", 2, "abc123")
    assert "`python -m something --c2st` at commit `abc123`" in text
    row = next(line for line in text.splitlines() if line.startswith("| noise |"))
    assert f"**{noise['accuracy']:.3f}**" in row
    assert f"{reports[0]['control']['accuracy']:.3f}" in row


def test_the_card_gets_the_section_once_and_then_only_its_figures_change(tmp_path) -> None:
    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# Card\n\n## Quality\n\nfigures\n")
    write_into_card(card, "first")
    write_into_card(card, "second")
    text = card.read_text()
    assert text.count(HEADING) == 1
    assert text.endswith(f"{HEADING}\n\n{START}\nsecond\n{END}\n")
    assert text.startswith("# Card\n\n## Quality\n\nfigures\n")


def c2st_rows(card) -> dict[str, list[str]]:
    text = card.read_text()
    assert text.count(START) == 1
    section = text.split(START)[1].split(END)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ")][1:]
    return {cells[0].lstrip("| "): cells for cells in rows}


def accuracy(cells: list[str]) -> float:
    match = re.fullmatch(r"\*\*([0-9.]+)\*\*", cells[5])
    assert match, cells
    return float(match.group(1))


@pytest.mark.slow
def test_the_gan_report_runs_the_c2st_on_a_few_test_pieces(tmp_path) -> None:
    from generation.gan.quality import main

    card = tmp_path / "MODEL_CARD.md"
    assert (
        main(["--c2st", "--style", "chorale", "--pieces", "5", "--bars", "4", "--card", str(card)])
        == 0
    )
    rows = c2st_rows(card)
    assert list(rows) == [
        "GAN, chorale style",
        "untrained generator (reference), chorale style",
        "rule harmoniser baseline (reference), chorale style",
    ]
    for cells in rows.values():
        assert cells[2:5] == ["5", "5", "5"]  # real, generated, groups: one per test piece
        assert 0.0 <= accuracy(cells) <= 1.0


@pytest.mark.slow
def test_the_arcnn_report_runs_the_c2st_on_a_few_test_pieces(tmp_path) -> None:
    from generation.arcnn.quality import main

    card = tmp_path / "MODEL_CARD.md"
    keep = tmp_path / "sets"
    assert (
        main(
            [
                "--c2st",
                "--seeds",
                "1",
                "--pieces",
                "4",
                "--card",
                str(card),
                "--c2st-dir",
                str(keep),
            ]
        )
        == 0
    )
    rows = c2st_rows(card)
    assert rows["AR-CNN on the test sopranos"][2:5] == ["4", "4", "4"]
    assert rows["AR-CNN on the sample melodies"][2] == "4"
    assert rows["rule harmoniser on the test sopranos"][2:5] == ["4", "4", "4"]
    # The soprano alone is one voice against four: told apart whatever the folds.
    assert accuracy(rows["the test sopranos alone (the input)"]) == 1.0
    assert len(list((keep / "00-ar-cnn-on-the-test-sopranos" / "generated").glob("*.mid"))) == 4


@pytest.mark.slow
def test_the_transformer_report_runs_the_c2st_on_a_few_test_pieces(tmp_path) -> None:
    from generation.transformer.quality import main

    card = tmp_path / "MODEL_CARD.md"
    assert main(["--c2st", "--pieces", "4", "--seeds", "1", "--card", str(card)]) == 0
    rows = c2st_rows(card)
    assert len(rows) == 4  # Transformer and Markov chain, folk and chorales
    for label, cells in rows.items():
        assert label.split(",")[0] in {"Transformer", "Markov-3 baseline (reference)"}
        assert cells[2:5] == ["4", "4", "4"]
