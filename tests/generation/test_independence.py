"""The generators do not depend on the judge: generating imports nothing of
``evaluation`` (a change to the judge must never change what the generators make).
Only the quality reports, which score generated music, may call the judge."""

from __future__ import annotations

from tests.probes import run_fresh

IMPORT_THE_GENERATORS = """
import importlib, json, pkgutil, sys
import generation
runtime = [
    m.name for m in pkgutil.walk_packages(generation.__path__, "generation.")
    if not m.name.endswith("quality")
]
for name in runtime:
    importlib.import_module(name)
print(json.dumps({"imported": runtime, "modules": sorted(sys.modules)}))
"""


def test_importing_every_generator_module_but_the_quality_reports_loads_no_judge_code() -> None:
    result = run_fresh(IMPORT_THE_GENERATORS)
    assert "generation.transformer.tokens" in result["imported"]
    assert "generation.gan.baseline" in result["imported"]
    assert [m for m in result["modules"] if m.split(".")[0] == "evaluation"] == []
