"""Through the API: submitting, the board's pages and query counts, host actions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.leaderboards.models import FinalResult, RescoreRun
from chartbusters.leaderboards.rescore import rescore_finish
from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import (
    enter,
    make_challenge,
    piece,
    report,
    score_with,
    scored_entry,
)
from tests.chartbusters.competition.helpers import submit, upload
from tests.chartbusters.conftest import make_user

pytestmark = pytest.mark.django_db


def test_a_participant_submits_by_api_and_sees_it_queued(
    api: APIClient, alice: User, challenge: Challenge
) -> None:
    api.force_authenticate(alice)
    response = submit(api, challenge, description="Four parts.")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["title"], body["score"]) == ("queued", "Chorale", None)
    entry = Submission.objects.get(uuid=body["id"])
    assert "my piece" not in str(entry.midi.name)


def test_a_studio_composition_is_submitted_with_its_provenance(
    api: APIClient, alice: User, challenge: Challenge
) -> None:
    provenance = {"input": "sample:ode-to-joy", "technique": "gan",
                  "parameters": {"genre": "jazz"}, "seed": 3, "model_version": "gan-1"}  # fmt: skip
    api.force_authenticate(alice)
    response = submit(api, challenge, technique="gan", provenance=json.dumps(provenance))
    assert response.status_code == 201, response.json()
    assert response.json()["provenance"] == provenance


def test_an_invalid_file_is_refused_with_the_validators_message(
    api: APIClient, alice: User, challenge: Challenge
) -> None:
    api.force_authenticate(alice)
    response = submit(api, challenge, file=upload(b"MThd\x00\x00\x00\x06\x00"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] not in ("invalid", "")
    assert body["detail"]
    assert not Submission.objects.exists()


def test_an_oversized_file_is_refused_before_it_is_read(
    api: APIClient, alice: User, challenge: Challenge
) -> None:
    api.force_authenticate(alice)
    response = submit(api, challenge, file=upload(b"\0" * (600 * 1024)))
    assert response.status_code == 400
    assert response.json()["code"] == "too_large"


def test_the_quota_answers_429_with_a_message(api: APIClient, alice: User) -> None:
    challenge = make_challenge(daily_quota=1, total_quota=1)
    api.force_authenticate(alice)
    assert submit(api, challenge).status_code == 201
    response = submit(api, challenge, file=upload(piece(2)))
    assert response.status_code == 429
    assert response.json()["code"] == "quota_exceeded"


def test_anonymous_users_cannot_submit(api: APIClient, challenge: Challenge) -> None:
    assert submit(api, challenge).status_code == 401
    assert not Submission.objects.exists()


def test_nobody_but_hosts_can_submit_to_a_draft(api: APIClient, alice: User) -> None:
    draft = make_challenge("secret", status=ChallengeStatus.DRAFT)
    api.force_authenticate(alice)
    assert submit(api, draft).status_code == 404


def test_the_submit_endpoint_is_throttled(
    api: APIClient, alice: User, challenge: Challenge, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    # monkeypatch removes the subclass attribute afterwards; assigning the old rates back
    # would leave it shadowing SimpleRateThrottle's for every later test.
    rates = dict(ScopedRateThrottle.THROTTLE_RATES, submit="2/hour")
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    api.force_authenticate(alice)
    codes = [submit(api, challenge, file=upload(piece(i))).status_code for i in range(3)]
    assert codes == [201, 201, 429]


# ----- the board -------------------------------------------------------------------------


def fill_board(challenge: Challenge, people: int) -> None:
    for i in range(people):
        user = make_user(f"{challenge.slug}-{i:03d}")
        scored_entry(user, challenge, float(i % 7) * 10, seed=i)


def board_queries(api: APIClient, challenge: Challenge, sort: str = "rank") -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/challenges/{challenge.slug}/leaderboard/", {"sort": sort})
    assert response.status_code == 200
    return len(queries)


def test_the_board_costs_the_same_queries_for_few_or_many_rows(
    api: APIClient, challenge: Challenge
) -> None:
    fill_board(challenge, 3)
    few = board_queries(api, challenge)
    bigger = make_challenge("bigger")
    fill_board(bigger, 30)
    assert board_queries(api, bigger) == few
    assert board_queries(api, bigger, sort="-realism") == few
    assert few <= 3  # the challenge, the count, the page


def test_the_board_is_paginated_and_sortable(api: APIClient, challenge: Challenge) -> None:
    fill_board(challenge, 12)
    page = api.get(
        f"/api/challenges/{challenge.slug}/leaderboard/", {"page_size": 5, "page": 2}
    ).json()
    assert page["count"] == 12
    assert [row["rank"] for row in page["results"]] == [6, 7, 8, 9, 10]
    by_time = api.get(f"/api/challenges/{challenge.slug}/leaderboard/", {"sort": "submitted"})
    times = [row["submitted_at"] for row in by_time.json()["results"]]
    assert times == sorted(times)
    bad = api.get(f"/api/challenges/{challenge.slug}/leaderboard/", {"sort": "email"})
    assert bad.status_code == 400


def test_my_submissions_costs_the_same_queries_for_few_or_many(api: APIClient, alice: User) -> None:
    first = make_challenge("one", total_quota=50, daily_quota=50)
    enter(alice, first, seed=1)
    api.force_authenticate(alice)
    with CaptureQueriesContext(connection) as few:
        api.get("/api/submissions/")
    for seed in range(2, 12):
        enter(alice, first, seed=seed)
    with CaptureQueriesContext(connection) as many:
        api.get("/api/submissions/")
    assert len(many) == len(few)


# ----- host actions -------------------------------------------------------------------------


def close(challenge: Challenge) -> Challenge:
    Challenge.objects.filter(pk=challenge.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    challenge.refresh_from_db()
    return challenge


def test_a_host_publishes_results_which_freezes_the_ranking(
    api: APIClient, alice: User, bob: User, host: User, challenge: Challenge
) -> None:
    scored_entry(alice, challenge, 50.0, seed=1)
    scored_entry(bob, challenge, 70.0, seed=2)
    api.force_authenticate(host)
    early = api.post(f"/api/challenges/{challenge.slug}/publish/")
    assert early.status_code == 400
    assert "once entries have closed" in early.json()["detail"]
    close(challenge)
    response = api.post(f"/api/challenges/{challenge.slug}/publish/")
    assert response.status_code == 201
    assert [(r["rank"], r["participant"]) for r in response.json()] == [(1, "bob"), (2, "alice")]
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.FINISHED
    assert challenge.results_published_at is not None
    assert api.post(f"/api/challenges/{challenge.slug}/publish/").status_code == 409
    # The snapshot does not follow later changes to the board.
    late = Submission.objects.get(participant=alice)
    api.post(f"/api/submissions/{late.uuid}/disqualify/", {"reason": "x"}, format="json")
    assert FinalResult.objects.filter(challenge=challenge).count() == 2


def test_publishing_emails_every_participant(
    alice: User, bob: User, challenge: Challenge, django_capture_on_commit_callbacks: Any
) -> None:
    from chartbusters.judging.results import leaderboard_publish_results

    scored_entry(alice, challenge, 50.0, seed=1)
    enter(bob, challenge, seed=2)
    score_with(Submission.objects.get(participant=bob), report(20.0))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False):
        leaderboard_publish_results(challenge=close(challenge))
    from chartbusters.leaderboards.tasks import notify_results_published

    assert notify_results_published.run(challenge.pk) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert all("are out" in m.subject for m in mail.outbox)


def test_results_wait_for_entries_still_being_scored(
    api: APIClient, alice: User, host: User, challenge: Challenge
) -> None:
    enter(alice, challenge)
    close(challenge)
    api.force_authenticate(host)
    response = api.post(f"/api/challenges/{challenge.slug}/publish/")
    assert response.status_code == 400
    assert "still being scored" in response.json()["detail"]


def test_a_host_starts_a_rescore_and_reads_its_rank_changes(
    api: APIClient, alice: User, bob: User, host: User, challenge: Challenge,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    a = scored_entry(alice, challenge, 50.0, seed=1)
    scored_entry(bob, challenge, 70.0, seed=2)
    api.force_authenticate(host)
    with django_capture_on_commit_callbacks() as callbacks:
        started = api.post(f"/api/challenges/{challenge.slug}/rescore/")
    assert started.status_code == 202
    assert len(callbacks) == 1  # rescore_challenge queued
    assert api.post(f"/api/challenges/{challenge.slug}/rescore/").status_code == 409
    # What a new evaluator might do: alice's entry now scores higher.
    from django.db import transaction

    from chartbusters.leaderboards.services import leaderboard_refresh_participant

    with transaction.atomic():
        Submission.objects.filter(pk=a.pk).update(score=90.0)
        leaderboard_refresh_participant(challenge_id=challenge.pk, participant_id=alice.pk)
    rescore_finish(run=RescoreRun.objects.get())
    body = api.get(f"/api/rescores/{started.json()['id']}/").json()
    assert body["state"] == "done"
    assert body["changes"] == [
        {"participant": "alice", "before": 2, "after": 1, "score_before": 50.0,
         "score_after": 90.0, "why": "Their score went from 50.00 to 90.00."},
        {"participant": "bob", "before": 1, "after": 2, "score_before": 70.0,
         "score_after": 70.0,
         "why": "Their score stayed 70.00; other participants' scores changed around them."},
    ]  # fmt: skip


def test_the_schema_documents_the_competition_api(api: APIClient) -> None:
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in (
        "/api/challenges/", "/api/challenges/{slug}/submissions/",
        "/api/challenges/{slug}/leaderboard/", "/api/submissions/{submission_id}/",
        "/api/challenges/{slug}/rescore/", "/api/challenges/{slug}/publish/",
        "/api/challenges/{slug}/leaderboard.csv",
    ):  # fmt: skip
        assert path in paths, path
    create = paths["/api/challenges/{slug}/submissions/"]["post"]
    assert "multipart/form-data" in create["requestBody"]["content"]
