"""The general musicality critic: its data split keeps the red team's files out, its
weights are part of every evaluator version, and with it real music of another style
scores above junk but below real music of the challenge's style."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from evaluation.evaluate import evaluate_many, evaluator_version
from evaluation.musicality import CRITIC_FILE, META_FILE, MODEL_DIR, load_musicality
from evaluation.musicality.data import file_split, musicality_split, red_team_sources, work_key
from evaluation.profile import PROFILES_DIR, Profile

RED_TEAM = {
    "haydn/opus1no1/movement1.mxl",
    "beethoven/opus18no1/movement4.mxl",
    "palestrina/Agnus.krn",
    "bach/bwv846.mxl",
}


def test_the_red_team_reads_the_files_the_split_holds_out() -> None:
    assert red_team_sources() >= RED_TEAM


def test_a_red_team_file_is_test_in_any_form_and_whatever_its_corpus_split() -> None:
    red_team = red_team_sources()
    for source in red_team:
        assert file_split(source, red_team) == "test"
        assert file_split(source, red_team, corpus_split="train") == "test"
    # The same movement written as Humdrum is the same piece.
    assert file_split("beethoven/opus18no1/movement4.krn", red_team) == "test"
    assert file_split("beethoven/opus18no1/movement1.krn", red_team) in {"train", "validation"}


def test_a_file_outside_the_red_team_keeps_its_corpus_split_or_goes_by_its_hash() -> None:
    assert file_split("bach/bwv1.6.mxl", set(), corpus_split="test") == "test"
    sides = {file_split(f"trecento/piece{i}.xml", set()) for i in range(40)}
    assert sides == {"train", "validation"}


def test_the_shipped_model_was_trained_without_any_red_team_file() -> None:
    meta = json.loads((MODEL_DIR / META_FILE).read_text())
    red_team = {work_key(s) for s in red_team_sources()}
    used = meta["data"]["train_files"] + meta["data"]["validation_files"]
    assert used, "the meta lists no training files"
    assert red_team.isdisjoint(work_key(s) for s in used)
    assert set(meta["data"]["train_pieces"]).isdisjoint(meta["data"]["validation_pieces"])


@pytest.mark.slow
def test_the_split_leaves_every_red_team_file_out_of_training_and_validation() -> None:
    red_team = {work_key(s) for s in red_team_sources()}
    train = musicality_split("train", per_group=10_000)
    validation = musicality_split("validation", per_group=10_000)
    assert {p.group for p in train} == {p.group for p in validation}
    assert red_team.isdisjoint(work_key(p.source) for p in train + validation)
    assert {p.piece_id for p in train}.isdisjoint(p.piece_id for p in validation)
    # Only the folk corpus's multi-tune ABC files give pieces to both sides.
    shared = {p.source for p in train} & {p.source for p in validation}
    assert all(source.endswith(".abc") for source in shared)


def test_the_evaluator_version_changes_when_the_musicality_weights_change(
    tmp_path: Path,
) -> None:
    shipped = Profile.load(PROFILES_DIR / "bach-chorales")
    assert shipped.musicality is not None
    state = torch.load(MODEL_DIR / CRITIC_FILE, weights_only=True)
    first = state["critics"][0]["weights"]
    name = next(iter(first))
    first[name] = first[name] + 0.5
    torch.save(state, tmp_path / CRITIC_FILE)
    changed = Profile.load(PROFILES_DIR / "bach-chorales", musicality_dir=tmp_path)
    without = Profile.load(PROFILES_DIR / "bach-chorales", musicality_dir=None)
    versions = {evaluator_version(p) for p in (shipped, changed, without)}
    assert len(versions) == 3
    shutil.copy(MODEL_DIR / CRITIC_FILE, tmp_path / CRITIC_FILE)  # same weights again
    same = Profile.load(PROFILES_DIR / "bach-chorales", musicality_dir=tmp_path)
    assert evaluator_version(same) == evaluator_version(shipped)


def test_scoring_reports_the_musicality_component() -> None:
    from music.catalogue import load_sample

    profile = Profile.load(PROFILES_DIR / "bach-chorales")
    report = evaluate_many([load_sample("ode-to-joy")], profile)[0]
    musicality = report.components["musicality"]
    assert 0.0 <= musicality <= 1.0
    assert report.score == max(report.details["style_score"], report.details["musicality_floor"])
    assert load_musicality() is profile.musicality  # one shared model, loaded once


@pytest.mark.slow
def test_a_quartet_scores_above_junk_and_a_chorale_above_the_quartet() -> None:
    from evaluation.build import load_split
    from evaluation.fakes import BUILTIN, make_fake
    from evaluation.redteam.other_music import read_other_music

    profile = Profile.load(PROFILES_DIR / "bach-chorales")
    # Test-side pieces only: red-team quartets, test-split chorales.
    quartets = [s for label, s in read_other_music() if "Mozart" in label][:2]
    chorales = [p.score for p in load_split("bach-chorales", "test")[:2]]
    rng = np.random.default_rng(0)
    junk = [make_fake(family, c, rng) for family in BUILTIN for c in chorales]
    own = [[f"bach-chorales:{p.id}"] for p in load_split("bach-chorales", "test")[:2]]
    quartet_scores = [r.score for r in evaluate_many(quartets, profile)]
    chorale_scores = [r.score for r in evaluate_many(chorales, profile, exclude_each=own)]
    junk_scores = [r.score for r in evaluate_many(junk, profile, exclude_each=own * len(BUILTIN))]
    assert len(quartets) == 2
    assert min(quartet_scores) > max(junk_scores)
    assert min(chorale_scores) > max(quartet_scores) + 10
