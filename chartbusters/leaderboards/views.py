from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from chartbusters.accounts.models import User
from chartbusters.challenges.access import access_challenge, board_hidden_reason
from chartbusters.challenges.caching import board_page_key
from chartbusters.challenges.web import access_errors_as_http
from chartbusters.core.errors import ApplicationError
from chartbusters.core.pagecache import cached_page
from chartbusters.leaderboards.likes import access_listen, like_add, like_remove, liked_by
from chartbusters.leaderboards.selectors import SORTS, BoardPaginator, leaderboard_rows
from chartbusters.studio import labels

BOARD_PAGE_SIZE = 50
SORT_LABELS = {
    "rank": "Rank",
    "score": "Score",
    # The components' names from the one table of labels.
    **{name: str(labels.component(name)["label"]) for name in ("realism", "typicality", "frechet")},
    "submitted": "Submitted",
}


def sort_columns(sort: str) -> dict[str, dict[str, Any]]:
    """The sortable column headers: each links to its sort, or to the reverse of the
    current one; ``aria_sort`` says how the board is sorted now (for screen readers)."""
    current, reverse = sort.lstrip("-"), sort.startswith("-")
    columns = {}
    for name, (_, descending) in SORTS.items():
        active = name == current
        if active:
            descending = descending != reverse
        columns[name] = {
            "label": SORT_LABELS[name],
            "sort": f"-{name}" if active and not reverse else name,
            "aria_sort": ("descending" if descending else "ascending") if active else "",
        }
    return columns


@require_GET
@access_errors_as_http
def leaderboard_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The whole board: sortable by any component, each entry's breakdown and audio.
    Served from the cache until the board changes (``core.pagecache``)."""
    challenge = access_challenge(request.user, slug)
    hidden = board_hidden_reason(request.user, challenge)
    context: dict[str, Any] = {"challenge": challenge, "scores_visible": False, "hidden": hidden}
    if hidden is not None:
        return render(request, "leaderboards/board.html", context, status=403)
    sort = request.GET.get("sort", "rank")
    if sort.lstrip("-") not in SORTS:
        sort = "rank"
    page = request.GET.get("page", "")[:12]

    def render_board() -> HttpResponse:
        rows = leaderboard_rows(challenge=challenge, sort=sort)
        board = BoardPaginator(rows, BOARD_PAGE_SIZE).get_page(page)
        context.update(
            scores_visible=True,
            board=board,
            sort=sort,
            columns=sort_columns(sort),
            liked=liked_by(user=request.user, submissions=[row.submission for row in board]),
        )
        return render(request, "leaderboards/board.html", context)

    # A signed-in viewer's like buttons send them back to the very URL they came from.
    back = [request.get_full_path()[:2000]] if request.user.is_authenticated else []
    key = board_page_key(request, challenge, "board-page", [sort, page], back)
    return cached_page(request, key, render_board)


@login_required
@require_POST
@access_errors_as_http
def like_toggle(request: HttpRequest, slug: str, submission_id: str) -> HttpResponse:
    entry = access_listen(request.user, slug, submission_id)
    assert isinstance(request.user, User)
    try:
        if request.POST.get("unlike"):
            like_remove(user=request.user, submission=entry)
        else:
            like_add(user=request.user, submission=entry)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("challenges:detail", slug)
