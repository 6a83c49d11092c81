"""Challenges: validation, the clock-driven status, host actions, selectors, Markdown."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.markdown import render_markdown
from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.challenges.selectors import challenge_list_open, challenge_list_upcoming
from chartbusters.challenges.services import (
    challenge_refresh_all_statuses,
    challenge_schedule,
    challenge_unschedule,
)
from chartbusters.challenges.tasks import refresh_challenge_statuses
from chartbusters.core.errors import ApplicationError
from tests.chartbusters.builders import enter, make_challenge

pytestmark = pytest.mark.django_db


def invalid(**fields: object) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        make_challenge(**fields)  # type: ignore[arg-type]
    return caught.value.message_dict


def test_the_end_must_come_after_the_start() -> None:
    now = timezone.now()
    errors = invalid(starts_at=now, ends_at=now - timedelta(hours=1))
    assert errors["ends_at"] == ["The end must come after the start."]


def test_weights_are_validated_by_the_evaluation_library() -> None:
    errors = invalid(weight_realism=0, weight_typicality=0, weight_frechet=0)
    assert errors["weight_realism"] == ["At least one weight must be above 0."]


def test_negative_weights_are_refused() -> None:
    assert "weight_frechet" in invalid(weight_frechet=Decimal("-0.5"))


def test_the_daily_quota_cannot_exceed_the_total() -> None:
    errors = invalid(daily_quota=10, total_quota=5)
    assert errors["daily_quota"] == ["The daily quota cannot exceed the total quota."]


def test_at_least_one_known_technique_is_allowed() -> None:
    assert "allowed_techniques" in invalid(allowed_techniques=[])
    assert "allowed_techniques" in invalid(allowed_techniques=["kazoo"])


def test_the_profile_must_be_a_known_one() -> None:
    assert "evaluation_profile" in invalid(evaluation_profile="no-such-profile")


def test_the_clock_opens_and_closes_a_scheduled_challenge() -> None:
    now = timezone.now()
    challenge = make_challenge(
        status=ChallengeStatus.SCHEDULED, starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
    )  # fmt: skip
    assert challenge_refresh_all_statuses(now=now) == 0
    assert challenge_refresh_all_statuses(now=now + timedelta(minutes=61)) == 1
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.OPEN
    challenge_refresh_all_statuses(now=now + timedelta(hours=3))
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.JUDGING


def test_the_beat_task_refreshes_statuses_and_repeating_it_changes_nothing() -> None:
    now = timezone.now()
    challenge = make_challenge(
        status=ChallengeStatus.OPEN, starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=1),
    )  # fmt: skip
    assert refresh_challenge_statuses.run() == 1
    assert refresh_challenge_statuses.run() == 0
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.JUDGING


def test_drafts_and_finished_challenges_are_left_to_hosts() -> None:
    now = timezone.now()
    draft = make_challenge("draft", status=ChallengeStatus.DRAFT)
    finished = make_challenge(
        "done", status=ChallengeStatus.FINISHED, starts_at=now - timedelta(days=9),
        ends_at=now - timedelta(days=8),
    )  # fmt: skip
    challenge_refresh_all_statuses(now=now)
    draft.refresh_from_db()
    finished.refresh_from_db()
    assert (draft.status, finished.status) == (ChallengeStatus.DRAFT, ChallengeStatus.FINISHED)


def test_a_host_schedules_a_draft_and_the_clock_takes_over() -> None:
    challenge = make_challenge(status=ChallengeStatus.DRAFT)
    assert challenge_schedule(challenge=challenge).status == ChallengeStatus.OPEN
    with pytest.raises(ApplicationError, match="is not a draft"):
        challenge_schedule(challenge=challenge)


def test_a_challenge_with_entries_cannot_go_back_to_draft(
    alice: User, challenge: Challenge
) -> None:
    enter(alice, challenge)
    with pytest.raises(ApplicationError, match="already has entries"):
        challenge_unschedule(challenge=challenge)


def test_entries_are_accepted_by_the_clock_even_before_beat_catches_up() -> None:
    now = timezone.now()
    challenge = make_challenge(status=ChallengeStatus.OPEN, ends_at=now + timedelta(minutes=1))
    assert challenge.accepts_entries_at(now)
    assert not challenge.accepts_entries_at(now + timedelta(minutes=1))


def test_selectors_list_open_and_upcoming_challenges_soonest_first() -> None:
    now = timezone.now()
    late = make_challenge("late", ends_at=now + timedelta(days=9))
    soon = make_challenge("soon", ends_at=now + timedelta(days=1))
    upcoming = make_challenge(
        "upcoming", status=ChallengeStatus.SCHEDULED, starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=3),
    )  # fmt: skip
    make_challenge("draft", status=ChallengeStatus.DRAFT)
    assert list(challenge_list_open(now=now)) == [soon, late]
    assert list(challenge_list_upcoming(now=now)) == [upcoming]


def test_descriptions_are_rendered_from_markdown_and_sanitised() -> None:
    html = render_markdown(
        "## Rules\n\n**Four** parts. <script>alert(1)</script> [x](javascript:alert(1))"
        ' <img src=x onerror="alert(1)">'
    )
    assert "<h2>Rules</h2>" in html
    assert "<strong>Four</strong>" in html
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
