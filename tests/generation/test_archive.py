"""Retraining a generator archives the weights it replaces, and the model versions they
made stay runnable: same notes as before the retraining, in plain words when they cannot
run. The GAN (quickest) is "retrained" by saving noisy weights through training's save."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from generation import archive
from generation.__main__ import main
from generation.checkpoint import read_meta, save_checkpoint, shipped_path
from generation.errors import ModelVersionError
from generation.gan import model as gan
from generation.registry import TECHNIQUES, generate, version_status
from music.catalogue import load_sample
from music.midi_io import score_to_midi
from tests.generation.helpers import (
    forget_loaded_models,
    retrain,
    retrain_gan,
    temporary_checkpoints,
)

PARAMS = {"style": "chorale"}


@pytest.fixture
def checkpoints(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    yield temporary_checkpoints(monkeypatch, tmp_path)
    forget_loaded_models()  # the next test loads the real shipped weights again


def made(version: str | None = None, style: str = "chorale") -> bytes:
    score = load_sample("new-world")
    return score_to_midi(generate("gan", score, {"style": style}, 5, version=version))


def test_retraining_moves_the_shipped_weights_and_meta_into_the_archive(
    checkpoints: Path,
) -> None:
    before = TECHNIQUES["gan"].version
    digest = archive.shipped_digest("gan-chorale")
    revision = read_meta(shipped_path("gan", "chorale"))["git_revision"]
    retrain_gan("chorale")
    kept = checkpoints / "archive" / f"gan-chorale+{digest}"
    assert sorted(p.name for p in kept.iterdir()) == ["gan-chorale.json", "gan-chorale.pt"]
    assert archive.short_digest(kept / "gan-chorale.pt") == digest
    assert read_meta(kept / "gan-chorale.pt")["git_revision"] == revision
    assert archive.shipped_digest("gan-chorale") != digest
    assert TECHNIQUES["gan"].version != before
    assert sorted(p.name for p in checkpoints.glob("*.pt*")) == [
        "gan-chorale.pt",
        "gan-renaissance.pt",
    ]


def test_an_archived_version_makes_exactly_what_it_made(checkpoints: Path) -> None:
    old_version, old_midi = TECHNIQUES["gan"].version, made()
    retrain_gan("chorale")
    assert made() != old_midi  # the new weights make other music ...
    assert version_status(old_version).state == "archived"
    assert made(old_version) == old_midi  # ... and the old version still makes its own
    assert made() != old_midi  # the archived weights did not replace the shipped ones


def test_every_combination_of_retrained_styles_stays_runnable(checkpoints: Path) -> None:
    first = TECHNIQUES["gan"].version
    retrain_gan("chorale")
    second = TECHNIQUES["gan"].version
    retrain_gan("renaissance", seed=1)
    assert [version_status(v).state for v in (first, second)] == ["archived", "archived"]
    assert version_status(TECHNIQUES["gan"].version).state == "shipped"
    # The second version: the new chorale weights (shipped) with the old renaissance ones.
    assert [p.parent.name for p in version_status(second).weights.values()] == [
        f"gan-renaissance+{second_renaissance_digest(checkpoints)}"
    ]


def second_renaissance_digest(folder: Path) -> str:
    (kept,) = (folder / "archive").glob("gan-renaissance+*")
    return kept.name.rpartition("+")[2]


def test_a_version_whose_weights_are_gone_says_so(checkpoints: Path) -> None:
    current = TECHNIQUES["gan"].version
    gone = f"gan-{TECHNIQUES['gan'].code_version}+0123456789"  # this code, weights nobody has
    with pytest.raises(ModelVersionError) as caught:
        made(gone)
    assert caught.value.message == (
        f"The model version {gone} is no longer shipped or archived (we run {current})."
    )


def test_a_version_of_other_sampling_code_says_so(checkpoints: Path) -> None:
    digest = TECHNIQUES["gan"].version.rpartition("+")[2]
    code = TECHNIQUES["gan"].code_version
    before = int(code) - 1
    with pytest.raises(ModelVersionError) as caught:
        made(f"gan-{before}+{digest}")
    assert caught.value.message == (
        f"The model version gan-{before}+{digest} was made with generator code version "
        f"{before}; this service runs {code}."
    )


def test_a_version_of_no_generator_we_ship_is_gone() -> None:
    status = version_status("musegan-1+0123456789")
    assert status.state == "gone"
    assert status.reason.startswith("the model version musegan-1+0123456789 names no generator")


def test_saving_the_same_weights_again_archives_nothing(checkpoints: Path) -> None:
    path = shipped_path("gan", "chorale")
    shipped = archive.shipped_digest("gan-chorale")
    model = gan.shipped_model("chorale")
    save_checkpoint(model, model.config, path)  # the shipped file's bytes move away
    save_checkpoint(model, model.config, path)  # the same bytes again: nothing new to keep
    assert [c.digest for c in archive.archived_checkpoints()] == [shipped]


def test_a_checkpoint_saved_elsewhere_archives_nothing(checkpoints: Path, tmp_path: Path) -> None:
    model = gan.shipped_model("chorale")
    elsewhere = tmp_path / "train" / "gan-chorale.pt"
    save_checkpoint(model, model.config, elsewhere)
    save_checkpoint(model, model.config, elsewhere)  # a dry run, twice
    assert archive.archived_checkpoints() == []


def test_the_cli_lists_the_archive_and_the_versions_it_keeps(
    checkpoints: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_version = TECHNIQUES["gan"].version
    digest = archive.shipped_digest("gan-chorale")
    retrain_gan("chorale")
    assert main(["archive", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    folder = checkpoints / "archive" / f"gan-chorale+{digest}"
    size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    assert lines[0] == f"{checkpoints / 'archive'}: 1 archived checkpoints, {size:.1f} MB"
    assert lines[1].startswith(f"  gan-chorale+{digest}  {size:.1f} MB  trained from ")
    assert f"{old_version}  archived: gan-chorale+{digest}" in lines
    assert f"{TECHNIQUES['gan'].version}  shipped" in lines


def test_the_cli_runs_an_archived_version(checkpoints: Path, tmp_path: Path) -> None:
    old_version, old_midi = TECHNIQUES["gan"].version, made()
    retrain_gan("chorale")
    source, out = tmp_path / "in.mid", tmp_path / "out.mid"
    source.write_bytes(score_to_midi(load_sample("new-world")))
    argv = ["gan", str(source), "-o", str(out), "--seed", "5", "--style", "chorale"]
    assert main([*argv, "--model-version", old_version]) == 0
    assert out.read_bytes() == old_midi
    assert main([*argv, "--model-version", f"gan-{TECHNIQUES['gan'].code_version}+0123"]) == 2


def test_archived_weights_that_no_longer_load_say_so(checkpoints: Path) -> None:
    old_version = TECHNIQUES["gan"].version
    retrain_gan("chorale")
    (kept,) = (checkpoints / "archive").glob("gan-chorale+*")
    meta = read_meta(kept / "gan-chorale.pt")
    meta["config"]["dropped_since"] = 1  # a config field the model class no longer has
    (kept / "gan-chorale.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelVersionError) as caught:
        made(old_version)
    assert caught.value.message.startswith(
        f"The archived weights {kept.name} no longer load here (checkpoint config does not "
        "match GanConfig: unknown ['dropped_since']"
    )


QUICK = {
    "arcnn": {"sampling_iterations": 4, "max_notes_to_add": 192},
    "transformer": {"extension_duration": 4},
}


@pytest.mark.parametrize("technique", sorted(QUICK))
def test_the_other_generators_run_archived_weights_too(
    technique: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    temporary_checkpoints(monkeypatch, tmp_path, TECHNIQUES[technique].checkpoints)
    try:
        score = load_sample("ode-to-joy")
        old_version = TECHNIQUES[technique].version
        old = score_to_midi(generate(technique, score, QUICK[technique], 3))
        retrain(technique)
        assert score_to_midi(generate(technique, score, QUICK[technique], 3)) != old
        again = generate(technique, score, QUICK[technique], 3, version=old_version)
        assert score_to_midi(again) == old
    finally:
        forget_loaded_models()
