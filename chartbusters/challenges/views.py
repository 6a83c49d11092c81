from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.views.decorators.http import require_GET

from chartbusters.accounts.models import User
from chartbusters.challenges.access import access_challenge, board_hidden_reason
from chartbusters.challenges.caching import board_page_key
from chartbusters.challenges.markdown import render_markdown
from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.challenges.selectors import (
    challenge_list_open,
    challenge_list_past,
    challenge_list_upcoming,
)
from chartbusters.challenges.web import access_errors_as_http
from chartbusters.core.pagecache import cached_page
from chartbusters.leaderboards.likes import peoples_choice
from chartbusters.leaderboards.selectors import final_results, leaderboard_rows, leaderboard_slice
from chartbusters.references.selectors import judge_below_targets
from chartbusters.submissions.selectors import quota_left, submission_list_for_participant

BOARD_PREVIEW = 10  # rows of the board on the challenge page; the rest on its own page


@require_GET
def challenge_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    context = {
        "now": now,
        "open": challenge_list_open(now=now),
        "upcoming": challenge_list_upcoming(now=now),
        "past": challenge_list_past(now=now)[:20],
    }
    return render(request, "challenges/list.html", context)


def countdown(challenge: Challenge, now: datetime) -> tuple[str, datetime] | None:
    """What the clock on the page counts down to: the opening or the close of entries."""
    if challenge.status not in (ChallengeStatus.SCHEDULED, ChallengeStatus.OPEN):
        return None
    if now < challenge.starts_at:
        return "Opens", challenge.starts_at
    if now < challenge.ends_at:
        return "Closes", challenge.ends_at
    return None


@require_GET
@access_errors_as_http
def challenge_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The challenge: rules, the top of the board, the people's choice, the results and
    the viewer's own entries. Their own part is read on every request and goes into the
    key; the rest comes from the cache until the board changes (``core.pagecache``)."""
    challenge = access_challenge(request.user, slug)
    now = timezone.now()
    clock = countdown(challenge, now)
    context: dict[str, object] = {
        "challenge": challenge,
        "now": now,
        "countdown": clock,
        "accepts_entries": challenge.accepts_entries_at(now),
        "hidden": board_hidden_reason(request.user, challenge),
        # Shipped profiles cost no query here (the folder says they are not host-built).
        "judge_below_targets": challenge.use_judge_below_targets
        and judge_below_targets(challenge.evaluation_profile),
    }
    context["scores_visible"] = context["hidden"] is None
    if isinstance(request.user, User):
        context["my_entries"] = list(
            submission_list_for_participant(user=request.user, challenge=challenge)[:10]
        )
        context["quota"] = quota_left(user=request.user, challenge=challenge, now=now)
        context["can_judge_now"] = (  # not "is_judge": that is the nav's (context processor)
            challenge.has_judging
            and now >= challenge.ends_at
            and not challenge.results_published
            and challenge.judges.filter(pk=request.user.pk).exists()
        )

    def render_detail() -> HttpResponse:
        context["description_html"] = render_markdown(challenge.description)
        if challenge.results_published:
            # One ranking per state: once published, the final results replace the board.
            context["results"] = final_results(challenge=challenge)[:100]
        elif context["scores_visible"]:
            rows = leaderboard_rows(challenge=challenge)
            top = list(leaderboard_slice(rows, 0, BOARD_PREVIEW))
            context["top"] = top
            context["board_size"] = rows.count() if len(top) == BOARD_PREVIEW else len(top)
        if context["scores_visible"]:
            context["peoples_choice"] = peoples_choice(challenge=challenge)[:10]
        return render(request, "challenges/detail.html", context)

    # What the page shows of the clock, and of the viewer's own entries and quota.
    shown_clock = [clock[0], timeuntil(clock[1], now)] if clock else None
    own = [
        [(e.pk, e.title, e.state) for e in context.get("my_entries", [])],  # type: ignore[attr-defined]
        context.get("quota"),
        context.get("can_judge_now"),
    ]
    key = board_page_key(
        request,
        challenge,
        "challenge-page",
        # Why the board is hidden from this viewer (a blind judge reads another reason).
        [shown_clock, context["accepts_entries"], context["hidden"]],
        own,
        timeless=clock is None,
    )
    return cached_page(request, key, render_detail)
