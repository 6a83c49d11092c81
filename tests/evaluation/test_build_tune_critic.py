"""build-profile trains the whole-tune critic when asked, and adds it to a built profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.evaluation.cli import REPO, run


@pytest.mark.slow
def test_a_quick_profile_gets_a_tune_critic_and_scores_with_it(tmp_path: Path) -> None:
    output = ("--output", str(tmp_path))
    built = run("build-profile", "bach-chorales", "--quick", "--no-tune-critic", *output)
    assert built.returncode == 0, built.stderr[-2000:]
    folder = tmp_path / "bach-chorales"
    assert not (folder / "tune_critic.pt").exists()
    novelty = (folder / "novelty.npz").read_bytes()

    added = run("build-profile", "bach-chorales", "--quick", "--tune-critic-only", *output)
    assert added.returncode == 0, added.stderr[-2000:]
    assert (folder / "tune_critic.pt").stat().st_size > 0
    assert (folder / "novelty.npz").read_bytes() == novelty  # the rest is left alone
    meta = json.loads((folder / "profile.json").read_text())["meta"]
    assert set(meta["tune_critic"]["val_auroc"]) >= {"time_reversed", "pitch_shuffled"}

    sample = REPO / "music" / "samples" / "greensleeves.mid"
    scored = run("score", str(sample), "--json", "--profiles-dir", str(tmp_path))
    assert scored.returncode == 0, scored.stderr[-2000:]
    [entry] = json.loads(scored.stdout)
    details = entry["details"]
    assert 0 <= details["tune_p_real"] <= 1
    assert entry["components"]["realism"] <= details["tune_p_real"] + 1e-4
