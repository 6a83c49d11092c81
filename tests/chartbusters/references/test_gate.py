"""A challenge may be judged by a host-built version only once it is built, and only
if it met the validity targets or the host ticked "use anyway" (shown on its page).
Switching a challenge to another version rescores it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.leaderboards.models import RescoreRun
from chartbusters.references.models import BuildState, JudgeBuild, ReferenceSet
from tests.chartbusters.builders import make_challenge, scored_entry
from tests.chartbusters.competition.helpers import form_data
from tests.chartbusters.references.helpers import make_set

pytestmark = pytest.mark.django_db


def version(reference_set: ReferenceSet, number: int, *, passes: bool, state: str = "built") -> str:
    """A version row, and its folder as a finished build leaves it (the gate reads the
    row; the form's list of judges reads the folder)."""
    name = f"{reference_set.slug}-v{number}"
    JudgeBuild.objects.create(
        reference_set=reference_set, version=number, profile_name=name, state=state,
        passes_validity=passes,
    )  # fmt: skip
    if state == BuildState.BUILT:
        folder = Path(settings.HOST_PROFILES_DIR) / name
        folder.mkdir(parents=True)
        (folder / "profile.json").write_text("{}")
    return name


def test_a_version_below_the_targets_needs_use_anyway(host: User) -> None:
    name = version(make_set(host), 1, passes=False)
    with pytest.raises(ValidationError, match="did not meet the validity targets"):
        make_challenge(evaluation_profile=name)
    challenge = make_challenge(evaluation_profile=name, use_judge_below_targets=True)
    assert challenge.evaluation_profile == name


def test_a_version_that_passes_is_used_without_a_tick(host: User) -> None:
    name = version(make_set(host), 1, passes=True)
    assert make_challenge(evaluation_profile=name).evaluation_profile == name


def test_a_version_still_building_cannot_judge(host: User) -> None:
    name = version(make_set(host), 1, passes=True, state=BuildState.RUNNING)
    with pytest.raises(ValidationError):
        make_challenge(evaluation_profile=name, use_judge_below_targets=True)


def test_the_admin_refuses_a_version_below_targets_and_says_why(client: Client, host: User) -> None:
    name = version(make_set(host), 1, passes=False)
    client.force_login(host)
    page = client.post(
        "/admin/challenges/challenge/add/", form_data(evaluation_profile=name)
    ).content.decode()
    assert "did not meet the validity targets" in page
    assert not Challenge.objects.exists()
    client.post(
        "/admin/challenges/challenge/add/",
        form_data(evaluation_profile=name, use_judge_below_targets="on"),
    )
    assert Challenge.objects.get().evaluation_profile == name


def test_the_challenge_page_says_when_a_judge_below_targets_is_used(
    client: Client, host: User
) -> None:
    below = version(make_set(host), 1, passes=False)
    passing = version(make_set(host, "hymns"), 1, passes=True)
    note = "did not meet the validity targets"
    make_challenge("carol-off", evaluation_profile=below, use_judge_below_targets=True)
    make_challenge("hymn-off", evaluation_profile=passing, use_judge_below_targets=True)
    assert note in client.get("/challenges/carol-off/").content.decode()
    assert note not in client.get("/challenges/hymn-off/").content.decode()


def test_switching_to_another_version_rescores_the_entries(
    client: Client, host: User, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    carols = make_set(host)
    first, second = version(carols, 1, passes=True), version(carols, 2, passes=True)
    challenge = make_challenge(evaluation_profile=first)
    scored_entry(alice, challenge, 60.0)
    client.force_login(host)
    data = form_data(evaluation_profile=second, slug=challenge.slug)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"/admin/challenges/challenge/{challenge.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    challenge.refresh_from_db()
    assert challenge.evaluation_profile == second
    run = RescoreRun.objects.get(challenge=challenge)
    assert run.requested_by == host
