"""Starting, versioning and cancelling judge builds, and what a refused set says. No
networks are trained here (the worker test builds one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from chartbusters.accounts.models import User
from chartbusters.core.errors import ApplicationError
from chartbusters.core.queues import queue_of
from chartbusters.references.builds import (
    BUILD_TASK,
    judge_build_cancel,
    judge_build_claim,
    judge_build_run,
    judge_build_start,
)
from chartbusters.references.models import BuildState, JudgeBuild
from chartbusters.references.services import reference_set_add_files
from chartbusters.references.tasks import build_judge
from tests.chartbusters.builders import piece
from tests.chartbusters.references.helpers import make_set

pytestmark = pytest.mark.django_db


def a_set(host: User, pieces: int = 3, slug: str = "carols") -> Any:
    reference_set = make_set(host, slug)
    files = [(f"p{i}.mid", piece(i)) for i in range(pieces)]
    reference_set_add_files(reference_set=reference_set, files=files)
    return reference_set


def test_builds_run_on_the_training_queue_only() -> None:
    assert queue_of(BUILD_TASK) == "training"
    assert settings.CELERY_TASK_ROUTES["chartbusters.references.tasks.*"] == {"queue": "training"}


def test_each_build_is_a_new_version_and_one_runs_at_a_time(
    host: User, django_capture_on_commit_callbacks: Any
) -> None:
    carols = a_set(host)
    with django_capture_on_commit_callbacks() as queued:
        first = judge_build_start(reference_set=carols, by=host)
    assert len(queued) == 1  # the task, queued once the row is committed
    assert (first.version, first.profile_name, first.state) == (1, "carols-v1", "queued")
    with pytest.raises(ApplicationError, match="already being built"):
        judge_build_start(reference_set=carols, by=host)
    judge_build_cancel(build=first)
    second = judge_build_start(reference_set=carols, by=host)
    assert (second.version, second.profile_name) == (2, "carols-v2")


def test_an_empty_set_cannot_be_built(host: User) -> None:
    with pytest.raises(ApplicationError, match="no pieces"):
        judge_build_start(reference_set=make_set(host), by=host)


def test_a_queued_build_is_cancelled_at_once_and_never_runs(
    host: User, django_capture_on_commit_callbacks: Any
) -> None:
    build = judge_build_start(reference_set=a_set(host), by=host)
    judge_build_cancel(build=build)
    build.refresh_from_db()
    assert build.state == BuildState.CANCELLED
    assert build_judge.run(build.pk) == "nothing to do"  # the message, delivered late
    with pytest.raises(ApplicationError, match="already cancelled"):
        judge_build_cancel(build=build)


def test_a_running_build_stops_at_its_next_stage_and_leaves_nothing(host: User) -> None:
    build = judge_build_start(reference_set=a_set(host, pieces=35), by=host)
    claimed = judge_build_claim(build_id=build.pk)
    assert claimed is not None
    assert claimed.state == BuildState.RUNNING
    judge_build_cancel(build=claimed)  # the host clicks while it runs
    assert JudgeBuild.objects.get(pk=build.pk).state == BuildState.RUNNING
    ended = judge_build_run(build=claimed, quick=True)
    assert ended.state == BuildState.CANCELLED
    assert ended.error == "Cancelled by a host."
    assert not any(Path(settings.HOST_PROFILES_DIR).glob("*"))


def test_a_set_too_small_fails_with_the_reason_in_words(host: User) -> None:
    build = judge_build_start(reference_set=a_set(host, pieces=3), by=host)
    assert build_judge.run(build.pk) == BuildState.FAILED
    build.refresh_from_db()
    assert build.error.startswith("Too few pieces: 3 of the 3 can be used")
    assert "at least 30" in build.error
    assert not Path(settings.HOST_PROFILES_DIR, "carols-v1").exists()


def test_the_build_page_shows_progress_and_reloads_while_it_runs(
    client: Client, host: User
) -> None:
    build = judge_build_start(reference_set=a_set(host), by=host)
    JudgeBuild.objects.filter(pk=build.pk).update(
        state=BuildState.RUNNING, stage="critic ensemble", progress=0.4
    )
    client.force_login(host)
    page = client.get(f"/admin/references/judgebuild/{build.pk}/change/").content.decode()
    assert '<progress max="100" value="40">' in page
    assert "critic ensemble" in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "Cancel the build" in page


def test_a_host_cancels_from_the_build_page(client: Client, host: User) -> None:
    build = judge_build_start(reference_set=a_set(host), by=host)
    client.force_login(host)
    client.post(
        "/admin/references/judgebuild/",
        {"action": "cancel", "_selected_action": [build.pk]},
    )
    build.refresh_from_db()
    assert build.state == BuildState.CANCELLED


def test_the_service_mirrors_the_library_screening_rules() -> None:
    from chartbusters.evaluator import building
    from evaluation import host_profile

    assert (building.MIN_NOTES, building.MIN_PIECES) == (
        host_profile.MIN_NOTES,
        host_profile.MIN_PIECES,
    )


def test_a_host_starts_a_build_from_the_set_list_in_the_admin(client: Client, host: User) -> None:
    carols = a_set(host)
    client.force_login(host)
    response = client.post(
        "/admin/references/referenceset/",
        {"action": "build_judge", "_selected_action": [carols.pk]},
        follow=True,
    )
    assert "Judge carols-v1 queued" in response.content.decode()
    assert JudgeBuild.objects.get().requested_by == host
