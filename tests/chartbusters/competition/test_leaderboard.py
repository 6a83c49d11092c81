"""The maintained leaderboard: best entry per participant, ranks, tie-break, exclusions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.core.errors import ApplicationError
from chartbusters.leaderboards.models import LeaderboardEntry
from chartbusters.leaderboards.selectors import SORTS, BoardPaginator, leaderboard_rows
from chartbusters.leaderboards.services import leaderboard_rebuild
from chartbusters.submissions.models import Submission
from chartbusters.submissions.services import submission_disqualify, submission_restore
from tests.chartbusters.builders import (
    enter,
    make_challenge,
    report,
    score_with,
    scored_entry,
)
from tests.chartbusters.conftest import make_user

pytestmark = pytest.mark.django_db


def board(challenge: Challenge) -> list[tuple[int, str, float | None]]:
    rows = LeaderboardEntry.objects.filter(challenge=challenge).order_by("rank")
    return [(r.rank, r.participant.username, r.score) for r in rows.select_related("participant")]


def test_the_best_entry_of_each_participant_is_ranked(
    alice: User, bob: User, challenge: Challenge
) -> None:
    scored_entry(alice, challenge, 40.0, seed=1)
    best = scored_entry(alice, challenge, 70.0, seed=2)
    scored_entry(alice, challenge, 55.0, seed=3)
    scored_entry(bob, challenge, 60.0, seed=4)
    assert board(challenge) == [(1, "alice", 70.0), (2, "bob", 60.0)]
    row = LeaderboardEntry.objects.get(participant=alice)
    assert (row.submission_id, row.entries_count) == (best.pk, 3)


def test_on_a_tie_the_earlier_entry_wins(alice: User, bob: User, challenge: Challenge) -> None:
    late = enter(alice, challenge, seed=1)
    early = enter(bob, challenge, seed=2)
    Submission.objects.filter(pk=early.pk).update(created_at=late.created_at - timedelta(hours=1))
    score_with(late, report(50.0))
    score_with(early, report(50.0))
    assert board(challenge) == [(1, "bob", 50.0), (2, "alice", 50.0)]


def test_a_participants_own_tie_goes_to_their_earlier_entry(
    alice: User, challenge: Challenge
) -> None:
    first = scored_entry(alice, challenge, 50.0, seed=1)
    scored_entry(alice, challenge, 50.0, seed=2)
    assert LeaderboardEntry.objects.get().submission_id == first.pk


def test_copies_stay_off_the_board(alice: User, bob: User, challenge: Challenge) -> None:
    scored_entry(alice, challenge, 50.0, seed=1)
    score_with(enter(bob, challenge, seed=1), report(90.0, copy_of="entry:1"))
    assert board(challenge) == [(1, "alice", 50.0)]


def test_a_disqualified_entry_leaves_the_board_and_a_restored_one_returns(
    alice: User, bob: User, host: User, challenge: Challenge
) -> None:
    top = scored_entry(alice, challenge, 90.0, seed=1)
    scored_entry(alice, challenge, 30.0, seed=2)
    scored_entry(bob, challenge, 60.0, seed=3)
    submission_disqualify(submission=top, by=host, reason="Not their own work.")
    assert board(challenge) == [(1, "bob", 60.0), (2, "alice", 30.0)]
    submission_restore(submission=top)
    assert board(challenge) == [(1, "alice", 90.0), (2, "bob", 60.0)]


def test_a_disqualification_needs_a_reason(alice: User, host: User, challenge: Challenge) -> None:
    entry = scored_entry(alice, challenge, 90.0)
    with pytest.raises(ApplicationError, match="Say why"):
        submission_disqualify(submission=entry, by=host, reason="  ")


def test_the_board_sorts_by_any_component_with_missing_values_last(
    alice: User, bob: User, challenge: Challenge
) -> None:
    carol = make_user("carol")
    score_with(enter(alice, challenge, seed=1), report(80.0, realism=0.2))
    score_with(enter(bob, challenge, seed=2), report(60.0, realism=0.9))
    LeaderboardEntry.objects.filter(participant=bob).update(typicality=None)
    score_with(enter(carol, challenge, seed=3), report(70.0, realism=0.5))

    def names(sort):
        return [r.participant.username for r in leaderboard_rows(challenge=challenge, sort=sort)]

    assert names("rank") == ["alice", "carol", "bob"]
    assert names("realism") == ["bob", "carol", "alice"]
    assert names("-realism") == ["alice", "carol", "bob"]
    assert names("typicality")[-1] == "bob"
    assert names("-typicality")[-1] == "bob"
    with pytest.raises(ApplicationError, match="Sort by one of"):
        leaderboard_rows(challenge=challenge, sort="username")


def test_an_entry_without_a_score_ranks_after_all_scored_ones(
    alice: User, bob: User, challenge: Challenge
) -> None:
    score_with(enter(alice, challenge, seed=1), report(10.0))
    entry = enter(bob, challenge, seed=2)
    unscored = report(0.0)
    object.__setattr__(unscored, "score", None)
    score_with(entry, unscored)
    assert board(challenge) == [(1, "alice", 10.0), (2, "bob", None)]


# ----- ranks stay right under any sequence of changes ----------------------------------

EVENTS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4),  # participant
        st.sampled_from(["score", "disqualify", "restore"]),
        st.sampled_from([None, 10.0, 50.0, 50.0, 75.5, 90.0]),
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=EVENTS)
def test_maintained_ranks_always_equal_a_ranking_computed_from_scratch(
    host: User, events: list[tuple[int, str, float | None]]
) -> None:
    Submission.objects.all().delete()
    Challenge.objects.all().delete()
    challenge = make_challenge(daily_quota=50, total_quota=50)
    people = [
        User.objects.get_or_create(
            username=f"p{i}", email=f"p{i}@example.com", defaults={"email_verified": True}
        )[0]
        for i in range(5)
    ]
    start = timezone.now()
    for step, (who, action, score) in enumerate(events):
        entries = Submission.objects.filter(participant=people[who], state="scored")
        if action == "score":
            entry = enter(people[who], challenge, seed=step)
            Submission.objects.filter(pk=entry.pk).update(
                created_at=start + timedelta(minutes=step % 3)  # provoke ties
            )
            entry.refresh_from_db()
            result = report(score if score is not None else 0.0)
            if score is None:
                object.__setattr__(result, "score", None)
            score_with(entry, result)
        elif action == "disqualify" and entries.exists():
            submission_disqualify(submission=entries.first(), by=host, reason="test")  # type: ignore[arg-type]
        elif action == "restore" and entries.filter(disqualified_at__isnull=False).exists():
            submission_restore(submission=entries.filter(disqualified_at__isnull=False).first())  # type: ignore[arg-type]
    assert board(challenge) == from_scratch(challenge)
    maintained = full_board(challenge)
    assert leaderboard_rebuild(challenge_id=challenge.pk) == len(maintained)
    assert full_board(challenge) == maintained


def full_board(challenge: Challenge) -> list[tuple[object, ...]]:
    return list(
        LeaderboardEntry.objects.filter(challenge=challenge)
        .order_by("rank")
        .values_list(
            "rank", "participant_id", "submission_id", "score", "realism", "typicality",
            "frechet", "submitted_at", "entries_count",
        )
    )  # fmt: skip


def from_scratch(challenge: Challenge) -> list[tuple[int, str, float | None]]:
    eligible = Submission.objects.filter(
        challenge=challenge, state="scored", ranked=True, disqualified_at__isnull=True
    ).select_related("participant")
    best: dict[int, Submission] = {}
    key = lambda s: (s.score is None, -(s.score or 0), s.created_at, s.pk)  # noqa: E731
    for entry in eligible:
        current = best.get(entry.participant_id)
        if current is None or key(entry) < key(current):
            best[entry.participant_id] = entry
    ordered = sorted(best.values(), key=key)
    return [(i, s.participant.username, s.score) for i, s in enumerate(ordered, start=1)]


def test_every_page_in_every_sort_is_the_slice_of_the_whole_board(
    host: User, challenge: Challenge
) -> None:
    """Pages in rank order are read as a range of ranks; in any order they must be what
    slicing the whole sorted board gives, after entries left the board too."""
    entries = [
        scored_entry(make_user(f"p{i}"), challenge, float(40 + (i * 7) % 23), seed=i)
        for i in range(13)
    ]
    for gone in entries[2:5]:
        submission_disqualify(submission=gone, by=host, reason="Copied.")
    for sort in [*SORTS, *(f"-{name}" for name in SORTS)]:
        rows = leaderboard_rows(challenge=challenge, sort=sort)
        whole = [row.pk for row in rows]
        paginator = BoardPaginator(rows, 4)
        assert paginator.count == len(whole) == 10, sort
        paged = [row.pk for n in paginator.page_range for row in paginator.page(n)]
        assert paged == whole, sort
