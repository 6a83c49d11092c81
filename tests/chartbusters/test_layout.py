"""The project's shape: the music, generation and evaluation libraries never import Django."""

from __future__ import annotations

import ast
import sys
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


# ----- import cycles ---------------------------------------------------------------------

PACKAGES = ["chartbusters", "music", "generation", "evaluation"]


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(REPO).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _runtime_imports(path: Path, module: str, known: dict[str, Path]) -> set[str]:
    """The project modules ``module`` imports when it runs, at the top or inside a
    function (imports under ``if TYPE_CHECKING:`` never run). ``from package import
    submodule`` imports the submodule."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    imported: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            subs = [f"{base}.{alias.name}" for alias in node.names]
            candidates = [s for s in subs if s in known] or [base]
        else:
            continue
        for name in candidates:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                imported.add(name)
    return imported


def import_cycles() -> list[list[str]]:
    """Every set of project modules that import one another in a circle (Tarjan)."""
    known = _modules()
    graph = {m: _runtime_imports(p, m, known) for m, p in known.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert import_cycles() == []


def test_the_cycle_finder_finds_a_circle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "chartbusters"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from chartbusters import b\n")
    (package / "b.py").write_text("from chartbusters.a import f\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from chartbusters import a\n"
    )
    for name in ("music", "generation", "evaluation"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    assert import_cycles() == [["chartbusters.a", "chartbusters.b"]]


# ----- layers of the Django apps ---------------------------------------------------------

# Bottom to top: an app's domain modules import only apps at its level or below.
APP_LAYERS = {
    "core": 0,
    "accounts": 0,
    "evaluator": 1,  # the one adapter to the judge (the evaluation library)
    "references": 2,  # host reference sets and the judges built from them
    "challenges": 3,
    "submissions": 4,
    "leaderboards": 5,
    "judging": 6,
    "studio": 7,
}
# Pages, the API, the admin, management commands and the demo sit above every app: they
# may show and start anything (a challenge's page shows its board).
PRESENTATION = {
    "views", "audio_views", "api", "api_urls", "urls", "admin", "forms", "serializers",
    "demo", "management", "templatetags", "apps",
}  # fmt: skip


def layer_violations() -> list[str]:
    known = _modules()
    found = []
    for module, path in sorted(known.items()):
        parts = module.split(".")
        if parts[0] != "chartbusters" or len(parts) < 3 or parts[1] not in APP_LAYERS:
            continue
        if PRESENTATION & set(parts[2:]):
            continue
        for other in sorted(_runtime_imports(path, module, known)):
            app = other.split(".")[1] if other.startswith("chartbusters.") else ""
            if app in APP_LAYERS and APP_LAYERS[app] > APP_LAYERS[parts[1]]:
                found.append(f"{module} imports {other}")
    return found


def test_no_app_reaches_up_past_its_layer() -> None:
    assert layer_violations() == []


def test_every_app_has_a_layer() -> None:
    apps = {p.parent.name for p in (REPO / "chartbusters").glob("*/__init__.py")}
    assert apps == set(APP_LAYERS)


def test_the_layer_check_sees_an_import_upwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for app, text in (
        ("challenges", "def f():\n    from chartbusters.submissions import services\n"),
        ("submissions", "from chartbusters.challenges import services\n"),
    ):
        folder = tmp_path / "chartbusters" / app
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "services.py").write_text(text)
        (folder / "views.py").write_text("from chartbusters.studio import services\n")
    (tmp_path / "chartbusters" / "__init__.py").write_text("")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    assert layer_violations() == [
        "chartbusters.challenges.services imports chartbusters.submissions.services"
    ]


MAX_LINES = 500
LONG_FILE_REASON = "# long file:"  # a file over the limit says why on a line like this


def test_no_module_is_over_500_lines_unless_it_says_why() -> None:
    long = []
    for module, path in sorted(_modules().items()):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES and LONG_FILE_REASON not in text:
            long.append(f"{module}: {text.count(chr(10))} lines")
    assert long == []


@pytest.mark.parametrize(
    ("library", "adapter"),
    [("evaluation", "chartbusters.evaluator"), ("generation", "chartbusters.studio.generators")],
)
def test_the_service_reaches_each_library_through_one_adapter(library: str, adapter: str) -> None:
    users = sorted(
        module
        for module, path in _modules().items()
        if module.startswith("chartbusters.")
        and any(name.split(".")[0] == library for name in imported_modules(path))
    )
    assert users, f"nothing in chartbusters uses {library}"
    assert all(module.startswith(adapter) for module in users), users


# ----- tests import helpers, never other tests --------------------------------------------


def _is_test_module(name: str) -> bool:
    return name.rpartition(".")[2].startswith("test_")


def imports_of_test_modules(root: Path) -> list[str]:
    """Every import, anywhere in a file under ``root``, of a ``test_*`` module. Shared
    helpers live in plain modules (builders, helpers) or in conftest fixtures instead, so
    one test file can change without breaking another."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in sorted(ast.walk(tree), key=lambda n: getattr(n, "lineno", 0)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                # ``from package import test_module`` imports the module as well.
                package = path.parents[node.level - 1] if node.level else root.parent
                folder = package.joinpath(*(node.module or "").split("."))
                names = [node.module or ""] + [
                    ".".join(filter(None, [node.module, alias.name]))
                    for alias in node.names
                    if (folder / f"{alias.name}.py").exists()
                ]
            else:
                continue
            where = f"{path.relative_to(root.parent)}:{node.lineno}"
            found += [f"{where} imports {name}" for name in names if _is_test_module(name)]
    return found


def test_no_test_module_imports_another() -> None:
    assert imports_of_test_modules(REPO / "tests") == []


def test_the_test_import_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    folder = tmp_path / "tests" / "app"
    folder.mkdir(parents=True)
    for name in ("__init__.py", "test_a.py", "helpers.py"):
        (folder / name).write_text("def test_like_name():\n    pass\n")
    (folder / "test_b.py").write_text(
        "from tests.app.test_a import x\n"
        "from tests.app import test_a\n"
        "from . import helpers, test_a as a\n"
        "from .test_a import y\n"
        "from tests.app.helpers import test_like_name\n"
        "def f():\n"
        "    import tests.app.test_a\n"
    )
    assert imports_of_test_modules(tmp_path / "tests") == [
        "tests/app/test_b.py:1 imports tests.app.test_a",
        "tests/app/test_b.py:2 imports tests.app.test_a",
        "tests/app/test_b.py:3 imports test_a",
        "tests/app/test_b.py:4 imports test_a",
        "tests/app/test_b.py:7 imports tests.app.test_a",
    ]
