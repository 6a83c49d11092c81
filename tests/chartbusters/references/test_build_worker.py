"""A judge built by a real worker on the training queue from a tiny uploaded set (tiny
networks: JUDGE_BUILD_QUICK), then loaded from the host profiles folder to score."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from chartbusters.accounts.models import User
from chartbusters.evaluator import scoring
from chartbusters.references.builds import judge_build_start
from chartbusters.references.models import BuildState, JudgeBuild
from chartbusters.references.services import reference_set_add_files
from tests.chartbusters.builders import piece
from tests.chartbusters.references.helpers import make_set
from tests.worker import celery_worker, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.timeout(900),
]


def test_a_worker_builds_validates_and_stores_a_judge_that_then_scores(host: User) -> None:
    carols = make_set(host)
    files = [(f"carol-{i}.mid", piece(i)) for i in range(32)]
    reference_set_add_files(reference_set=carols, files=files)
    folder = Path(settings.HOST_PROFILES_DIR)
    stages: set[str] = set()

    def finished() -> bool:
        build = JudgeBuild.objects.get(profile_name="carols-v1")
        if build.state == BuildState.RUNNING:
            stages.add(build.stage)
        return build.is_finished

    with celery_worker(queues="training", HOST_PROFILES_DIR=str(folder), JUDGE_BUILD_QUICK="True"):
        judge_build_start(reference_set=carols, by=host)
        assert wait_until(finished, timeout=900), "the training worker never finished it"

    build = JudgeBuild.objects.get(profile_name="carols-v1")
    assert build.state == BuildState.BUILT, build.error or build.log[-2000:]
    assert build.progress == 1.0
    assert {"critic ensemble", "validity report", "red team"} & stages  # seen while it ran
    assert set(build.figures["pieces"]) >= {"train", "validation", "test"}
    assert build.figures["checks"]
    assert build.figures["redteam"]
    assert build.passes_validity == build.figures["passes"]
    for name in ("profile.json", "critic.pt", "novelty.npz", "VALIDITY.md", "REDTEAM.md"):
        assert (folder / "carols-v1" / name).stat().st_size > 0, name
    assert not list(folder.glob(".*"))  # no working folder left behind
    assert "carols-v1" in scoring.available_profiles()

    report = scoring.score_entry(
        midi=piece(99),
        profile="carols-v1",
        weights=scoring.make_weights(0.5, 0.3, 0.2),
        earlier=scoring.EarlierEntries(),
    )
    assert report.profile == "carols-v1"
    assert "carols-v1" in report.evaluator_version
    assert 0 <= report.score <= 100
