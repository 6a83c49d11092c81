"""The project's shape: the music, generation and evaluation libraries never import Django."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIBRARIES = ["music", "generation", "evaluation"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_library_never_imports_django_or_the_service(library: str) -> None:
    files = list((REPO / library).rglob("*.py"))
    assert files, f"{library}/ has no Python files"
    for path in files:
        bad = {
            name
            for name in imported_modules(path)
            if name.split(".")[0] in {"django", "rest_framework", "celery", "chartbusters"}
        }
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


@pytest.mark.parametrize(
    "path",
    [
        "manage.py",
        "pyproject.toml",
        "README.md",
        "docker-compose.yml",
        "Dockerfile",
        "Makefile",
        ".ci/run",
        "chartbusters",
        "music",
        "generation",
        "evaluation",
        "templates",
        "static",
        "tests",
        "bench",
    ],
)
def test_the_layout_from_the_design_exists(path: str) -> None:
    assert (REPO / path).exists()


def test_torch_is_pinned_to_the_cpu_build_version() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"torch==2.13.0"' in pyproject
