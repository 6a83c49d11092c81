"""The Django side's one adapter to the music and evaluation libraries."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from chartbusters.evaluator import scoring

REPO = Path(__file__).resolve().parents[3]


def test_the_mirrored_profile_names_match_the_library() -> None:
    from evaluation.profile import DEFAULT_PROFILE, PROFILE_SPECS, PROFILES_DIR

    assert set(scoring.KNOWN_PROFILES) == set(PROFILE_SPECS)
    assert scoring.DEFAULT_PROFILE == DEFAULT_PROFILE
    assert PROFILES_DIR.resolve() == scoring.LIBRARY_PROFILES_DIR


def test_the_web_side_never_imports_torch() -> None:
    """Forms, validation and URLs of the web process load no model code."""
    script = textwrap.dedent(
        """
        import sys, django
        django.setup()
        import chartbusters.urls
        from chartbusters.challenges.admin import ChallengeAdminForm
        from chartbusters.challenges.models import Challenge
        from chartbusters.evaluator import scoring
        assert ("folk", "folk") in list(ChallengeAdminForm().fields["evaluation_profile"].choices)
        Challenge(weight_realism=1, weight_typicality=1, weight_frechet=1).weights()
        scoring.fingerprint_bytes(scoring.parse_upload(open(sys.argv[1], "rb").read()))
        assert "torch" not in sys.modules, "the web side imported torch"
        """
    )
    from tests.chartbusters.builders import piece

    midi = REPO / "var" / "adapter-test.mid"
    midi.parent.mkdir(exist_ok=True)
    midi.write_bytes(piece(1))
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="chartbusters.settings", DEBUG="True")
    result = subprocess.run(
        [sys.executable, "-c", script, str(midi)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    midi.unlink()
    assert result.returncode == 0, result.stderr[-2000:]


def test_weights_are_checked_by_the_library() -> None:
    assert scoring.make_weights(1, 0, 0).normalised() == {
        "realism": 1.0, "typicality": 0.0, "frechet": 0.0,
    }  # fmt: skip
