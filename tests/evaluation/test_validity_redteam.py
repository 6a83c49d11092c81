"""The validity report carries the red-team suite's targets and rewrites REDTEAM.md."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import evaluation.build
import evaluation.profile
import evaluation.redteam.run
from evaluation import validity
from evaluation.redteam.run import RedTeamResult, Row


def test_the_validity_report_ends_with_the_red_teams_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "p").mkdir()
    red = RedTeamResult("p", "4.2+p.0", 2)
    red.rows = [
        Row("held-out real", "real", (80.0, 90.0), 0.0),
        Row("bars shuffled", "copy", (70.0, 80.0), 0.5),
    ]
    written: list[str] = []

    def redteam(name: str, *, directory: Path, seed: int) -> RedTeamResult:
        written.append(name)
        (directory / name / "REDTEAM.md").write_text(red.to_markdown())
        return red

    profile = SimpleNamespace(corpus="c")
    monkeypatch.setattr(evaluation.profile.Profile, "load", lambda directory: profile)
    monkeypatch.setattr(evaluation.build, "profile_baseline_judge", lambda directory: None)
    monkeypatch.setattr(evaluation.build, "load_split", lambda corpus, split: [])
    report = SimpleNamespace(to_markdown=lambda: "# Validity report: `p`\n")
    monkeypatch.setattr(validity, "run_validity", lambda *a, **k: report)
    monkeypatch.setattr(evaluation.redteam.run, "write_redteam_report", redteam)

    path = validity.write_validity_report("p", directory=tmp_path)
    text = path.read_text()
    assert written == ["p"]
    assert text.startswith("# Validity report: `p`\n")
    assert "## Red team" in text
    assert "| every disguised copy kind flagged >= 99% | FAIL |" in text  # bars shuffled: 50 %
    assert "| held-out real falsely flagged <= 2% | pass |" in text
    assert (tmp_path / "p" / "REDTEAM.md").read_text() == red.to_markdown()
