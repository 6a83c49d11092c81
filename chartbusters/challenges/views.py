from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from chartbusters.accounts.models import User
from chartbusters.challenges.access import access_challenge
from chartbusters.challenges.markdown import render_markdown
from chartbusters.challenges.selectors import (
    challenge_list_open,
    challenge_list_past,
    challenge_list_upcoming,
)
from chartbusters.challenges.web import access_errors_as_http
from chartbusters.core.errors import ApplicationError
from chartbusters.leaderboards.access import scores_visible
from chartbusters.leaderboards.likes import liked_by, peoples_choice
from chartbusters.leaderboards.selectors import SORTS, final_results, leaderboard_rows
from chartbusters.submissions.selectors import quota_left, submission_list_for_participant

BOARD_PAGE_SIZE = 50


@require_GET
def challenge_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    context = {
        "open": challenge_list_open(now=now),
        "upcoming": challenge_list_upcoming(now=now),
        "past": challenge_list_past(now=now)[:20],
    }
    return render(request, "challenges/list.html", context)


@require_GET
@access_errors_as_http
def challenge_detail(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = access_challenge(request.user, slug)
    now = timezone.now()
    sort = request.GET.get("sort", "rank")
    if sort.lstrip("-") not in SORTS:
        sort = "rank"
    context: dict[str, object] = {
        "challenge": challenge,
        "description_html": render_markdown(challenge.description),
        "accepts_entries": challenge.accepts_entries_at(now),
        "scores_visible": scores_visible(request.user, challenge),
        "sort": sort,
        "sorts": list(SORTS),
    }
    if context["scores_visible"]:
        try:
            rows = leaderboard_rows(challenge=challenge, sort=sort)
        except ApplicationError:
            rows = leaderboard_rows(challenge=challenge)
        board = Paginator(rows, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
        context["board"] = board
        context["liked"] = liked_by(user=request.user, submissions=[r.submission for r in board])
        context["peoples_choice"] = peoples_choice(challenge=challenge)[:10]
    if challenge.results_published:
        context["results"] = final_results(challenge=challenge)[:100]
    if isinstance(request.user, User):
        context["my_entries"] = submission_list_for_participant(
            user=request.user, challenge=challenge
        )[:10]
        context["quota"] = quota_left(user=request.user, challenge=challenge, now=now)
        context["is_judge"] = (
            challenge.has_judging
            and now >= challenge.ends_at
            and not challenge.results_published
            and challenge.judges.filter(pk=request.user.pk).exists()
        )
    return render(request, "challenges/detail.html", context)
