from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from chartbusters.accounts.models import User
from chartbusters.challenges.web import access_errors_as_http
from chartbusters.core.errors import ApplicationError
from chartbusters.leaderboards.likes import access_listen, like_add, like_remove


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
    return redirect("challenges:detail", slug)
