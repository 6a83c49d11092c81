"""The studio's JavaScript: its helpers tested with Node's own test runner (``node --test
tests/js``) and every file linted with ESLint (``.eslintrc.json``), so that ``make test`` runs
them with everything else. CI installs Node and ESLint from Debian's packages (.ci/run)."""

from __future__ import annotations

import os
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
    assert int(counts.get("pass", "0")) >= 17  # every helper test ran


ESLINT = [
    "eslint",
    "--no-eslintrc",
    "-c",
    ".eslintrc.json",
    "-f",
    "unix",
    "--max-warnings",
    "0",
    "--ext",
    ".js,.mjs",
    "static/js",
    "tests/js",
]


def eslint(*extra: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    # Debian's ESLint finds its own modules under /usr/share/nodejs; a Node from elsewhere
    # (NodeSource's) does not look there unless told.
    env = {**os.environ, "NODE_PATH": "/usr/share/nodejs"}
    return subprocess.run(
        [*ESLINT, *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        input=stdin,
    )


@pytest.mark.skipif(
    shutil.which("eslint") is None, reason="ESLint is not installed (CI installs it)"
)
def test_the_javascript_passes_eslint() -> None:
    done = eslint()
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.skipif(
    shutil.which("eslint") is None, reason="ESLint is not installed (CI installs it)"
)
def test_eslint_rejects_what_its_rules_forbid() -> None:
    # The lint must be able to fail: loose equality and a never-reassigned `let` are errors.
    source = "export function f(a) { let b = 1; if (a == 2) return b; return 0; }\n"
    done = eslint("--stdin", "--stdin-filename", "static/js/studio/probe.js", stdin=source)
    assert done.returncode == 1
    assert "eqeqeq" in done.stdout
    assert "prefer-const" in done.stdout
