"""The people's choice: listeners like entries on a visible board.

Entries that are on the ranking (scored, not a copy, not disqualified) of a challenge whose
board the listener may see can be listened to and liked by anyone signed in, except by
their maker. This is the public playlist; everything else about an entry stays with its
owner and the hosts.
"""

from __future__ import annotations

from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet

from chartbusters.accounts.access import require_verified_email
from chartbusters.accounts.models import User
from chartbusters.challenges.access import Viewer
from chartbusters.challenges.models import Challenge
from chartbusters.challenges.services import challenge_board_changed
from chartbusters.core.errors import ApplicationError
from chartbusters.leaderboards.access import access_leaderboard
from chartbusters.leaderboards.models import Like
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import rankable
from chartbusters.submissions.states import SubmissionState


def _listenable(challenge: Challenge) -> QuerySet[Submission]:
    """Entries on the ranking: what the board may show (its provenance rule included)."""
    return Submission.objects.filter(
        rankable(),
        challenge=challenge,
        state=SubmissionState.SCORED,
        ranked=True,
        disqualified_at__isnull=True,
    )


def access_listen(user: Viewer, slug: str, submission_id: UUID | str) -> Submission:
    """An entry anyone who sees the board may listen to (404 for anything else)."""
    challenge = access_leaderboard(user, slug)
    try:
        key = UUID(str(submission_id))
    except ValueError:
        key = None
    entries = _listenable(challenge).select_related("participant")
    entry = entries.filter(uuid=key).first() if key is not None else None
    if entry is None:
        raise ApplicationError("No such entry on this board.", code="not_found", status=404)
    return entry


def like_add(*, user: User, submission: Submission) -> Submission:
    """Like an entry (liking twice counts once)."""
    require_verified_email(user)
    if submission.participant_id == user.pk:
        raise ApplicationError("You cannot like your own entry.", code="own_entry")
    try:
        with transaction.atomic():
            Like.objects.create(submission=submission, user=user)
            Submission.objects.filter(pk=submission.pk).update(likes_count=F("likes_count") + 1)
            challenge_board_changed(challenge_ids=[submission.challenge_id])
    except IntegrityError:
        pass  # already liked
    submission.refresh_from_db(fields=["likes_count"])
    return submission


def like_remove(*, user: User, submission: Submission) -> Submission:
    with transaction.atomic():
        deleted, _ = Like.objects.filter(submission=submission, user=user).delete()
        if deleted:
            Submission.objects.filter(pk=submission.pk).update(likes_count=F("likes_count") - 1)
            challenge_board_changed(challenge_ids=[submission.challenge_id])
    submission.refresh_from_db(fields=["likes_count"])
    return submission


def peoples_choice(*, challenge: Challenge) -> QuerySet[Submission]:
    """Liked entries, most liked first; on a tie the earlier entry wins."""
    return (
        _listenable(challenge)
        .filter(likes_count__gt=0)
        .select_related("participant")
        .order_by("-likes_count", "created_at", "id")
    )


def liked_by(*, user: Viewer, submissions: list[Submission]) -> set[int]:
    if not isinstance(user, User):
        return set()
    ids = [s.pk for s in submissions]
    return set(
        Like.objects.filter(user=user, submission_id__in=ids).values_list(
            "submission_id", flat=True
        )
    )
