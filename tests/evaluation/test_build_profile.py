"""build-profile works from a fresh install (a quick build: tiny critics, few pieces)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.evaluation.cli import REPO, run


@pytest.mark.slow
def test_a_quick_profile_builds_and_scores_a_file(tmp_path: Path) -> None:
    built = run("build-profile", "bach-chorales", "--quick", "--output", str(tmp_path))
    assert built.returncode == 0, built.stderr[-2000:]
    folder = tmp_path / "bach-chorales"
    for name in ("profile.json", "critic.pt", "novelty.npz", "baseline_judge.pt"):
        assert (folder / name).stat().st_size > 0, name
    meta = json.loads((folder / "profile.json").read_text())["meta"]
    assert meta["pieces"]["train"] == 24

    sample = REPO / "music" / "samples" / "greensleeves.mid"
    scored = run("score", str(sample), "--json", "--profiles-dir", str(tmp_path))
    assert scored.returncode == 0, scored.stderr[-2000:]
    [entry] = json.loads(scored.stdout)
    assert entry["profile"] == "bach-chorales"
    assert 0 <= entry["score"] <= 100
