"""The studio's JavaScript helpers, tested with Node's own test runner (``node --test
tests/js``), so that ``make test`` runs them with everything else. CI installs Node from
Debian's packages (.ci/run)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed (CI installs it)")
def test_the_javascript_helpers_pass_their_tests() -> None:
    done = subprocess.run(
        ["node", "--test", "tests/js/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    counts = dict(
        line[2:].split(" ", 1) for line in done.stdout.splitlines() if line.startswith("# ")
    )
    assert counts.get("fail", "").strip() == "0", done.stdout[-2000:]
    assert int(counts.get("pass", "0")) >= 10  # every helper test ran
