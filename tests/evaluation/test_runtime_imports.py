"""Scoring loads only what scoring needs: building a profile and running it live apart,
so a worker that scores never imports training code (fake families, calibration,
training loops) or the profile builder."""

from __future__ import annotations

from tests.probes import run_fresh

# Not tqdm: torch imports it itself (torch.hub), whatever we import.
BUILD_ONLY = [
    "evaluation.build",
    "evaluation.fakes",
    "evaluation.critic_training",
    "evaluation.tune_critic_training",
    "evaluation.novelty_calibration",
    "evaluation.validity",
    "evaluation.baseline_judge",
    "evaluation.redteam.run",
    "evaluation.musicality.build",
    "evaluation.musicality.data",
]
SCORE_EVERY_PROFILE = """
import json, sys
from evaluation.evaluate import evaluate
from evaluation.profile import available_profiles, load_profile
from music.catalogue import load_sample
names = available_profiles()
for name in names:
    evaluate(load_sample("ode-to-joy"), load_profile(name))
print(json.dumps({"profiles": names, "modules": sorted(sys.modules)}))
"""


def test_loading_every_shipped_profile_and_scoring_imports_no_build_code() -> None:
    result = run_fresh(SCORE_EVERY_PROFILE)
    assert result["profiles"], "no shipped profile was scored"
    assert [m for m in BUILD_ONLY if m in result["modules"]] == []
    assert "evaluation.novelty" in result["modules"]  # the probe really scored
    assert "evaluation.musicality" in result["modules"]  # with the musicality critic
