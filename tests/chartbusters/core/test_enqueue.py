"""Tasks queued by name resolve to the registered tasks, even in a process that has not
imported any tasks module yet (the web process)."""

from __future__ import annotations

import pytest
from celery.exceptions import NotRegistered

from chartbusters.core.enqueue import task
from tests.probes import run_fresh

NAMES = {
    "chartbusters.leaderboards.rescore": "RESCORE_CHALLENGE",
    "chartbusters.leaderboards.services": "NOTIFY_RESULTS_PUBLISHED",
    "chartbusters.submissions.audio": "RENDER_SUBMISSION_AUDIO",
    "chartbusters.submissions.pipeline": "SCORING_TASK",
    "chartbusters.studio.queueing": "RUN_GENERATION_JOB",
}


def test_every_name_the_code_queues_by_is_a_task_in_a_fresh_web_process() -> None:
    code = f"""
import importlib, json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartbusters.settings")
import django
django.setup()
before = sorted(m for m in sys.modules if m.endswith(".tasks") and m.startswith("chartbusters."))
from chartbusters.core.enqueue import task
found = {{}}
for module, constant in {NAMES!r}.items():
    name = getattr(importlib.import_module(module), constant)
    found[name] = task(name).name
print(json.dumps({{"before": before, "found": found}}))
"""
    result = run_fresh(code)
    assert "chartbusters.submissions.tasks" not in result["before"]  # nothing imported yet
    assert result["found"] == {name: name for name in result["found"]}
    assert len(result["found"]) == len(NAMES)


def test_an_unknown_name_is_an_error() -> None:
    with pytest.raises(NotRegistered):
        task("chartbusters.nowhere.tasks.nothing")
