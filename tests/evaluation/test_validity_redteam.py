"""The validity report runs the red-team suite: REDTEAM.md rewritten, its targets at the
end of VALIDITY.md."""

from __future__ import annotations

from pathlib import Path

import pytest

import evaluation.redteam.run
import evaluation.validity
from evaluation.__main__ import main
from evaluation.redteam.run import RedTeamResult, Row


def test_the_validity_report_ends_with_the_red_teams_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p").mkdir()
    red = RedTeamResult("p", "4.2+p.0", 2)
    red.rows = [
        Row("held-out real", "real", (80.0, 90.0), 0.0),
        Row("bars shuffled", "copy", (70.0, 80.0), 0.5),
    ]
    calls: list[tuple[str, Path, int]] = []

    def validity(name: str, *, directory: Path, seed: int) -> Path:
        calls.append(("validity", directory, seed))
        path = directory / name / "VALIDITY.md"
        path.write_text("# Validity report: `p`\n\n| target | met |\n")
        return path

    def redteam(name: str, *, directory: Path, seed: int) -> RedTeamResult:
        calls.append(("redteam", directory, seed))
        (directory / name / "REDTEAM.md").write_text(red.to_markdown())
        return red

    monkeypatch.setattr(evaluation.validity, "write_validity_report", validity)
    monkeypatch.setattr(evaluation.redteam.run, "write_redteam_report", redteam)
    monkeypatch.setattr("evaluation.__main__.PROFILE_SPECS", {"p": None}, raising=False)

    assert main(["validity-report", "p", "--output", str(tmp_path), "--seed", "3"]) == 0
    assert calls == [("validity", tmp_path, 3), ("redteam", tmp_path, 3)]
    text = (tmp_path / "p" / "VALIDITY.md").read_text()
    assert text.startswith("# Validity report: `p`\n\n| target | met |\n\n## Red team\n")
    assert "| every disguised copy kind flagged >= 99% | FAIL |" in text  # bars shuffled: 50 %
    assert "| held-out real falsely flagged <= 2% | pass |" in text
    assert text in capsys.readouterr().out
    assert (tmp_path / "p" / "REDTEAM.md").read_text() == red.to_markdown()
