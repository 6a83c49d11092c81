from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from chartbusters.accounts.models import User
from chartbusters.challenges.access import access_challenge
from chartbusters.challenges.web import access_errors_as_http
from chartbusters.core.errors import ApplicationError
from chartbusters.judging.access import access_judging
from chartbusters.judging.forms import RubricForm
from chartbusters.judging.selectors import challenges_judged_by, finalists_for_judge
from chartbusters.judging.services import judge_score_set


@login_required
@require_GET
def judging_index(request: HttpRequest) -> HttpResponse:
    """The challenges the user judges, each with when its judging opens or a link to it."""
    assert isinstance(request.user, User)  # @login_required
    context = {"challenges": challenges_judged_by(user=request.user), "now": timezone.now()}
    return render(request, "judging/index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@access_errors_as_http
def judge_finalists(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        challenge, judge = access_judging(request.user, slug)
    except ApplicationError as exc:
        if exc.code != "not_yet":
            raise
        # A judge of this challenge, early: a page saying when judging opens.
        challenge = access_challenge(request.user, slug)
        return render(request, "judging/not_yet.html", {"challenge": challenge})
    finalists = finalists_for_judge(challenge=challenge, judge=judge)
    if request.method == "POST":
        chosen = next((f for f in finalists if f.handle == request.POST.get("entry")), None)
        form = RubricForm(request.POST)
        if chosen is None or not form.is_valid():
            messages.error(request, "Choose 1 to 5 on each criterion.")
        else:
            try:
                judge_score_set(
                    judge=judge,
                    challenge=challenge,
                    submission=chosen.submission,
                    **form.cleaned_data,
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Saved your scores for {chosen.label}.")
        return redirect("judging:finalists", challenge.slug)
    rows = [
        (f, RubricForm(initial=_initial(f), auto_id=f"id_f{i}_%s"))
        for i, f in enumerate(finalists, start=1)
    ]
    scored = sum(1 for f in finalists if f.my_score is not None)
    context = {"challenge": challenge, "rows": rows, "scored_count": scored}
    return render(request, "judging/finalists.html", context)


def _initial(finalist: object) -> dict[str, object]:
    score = getattr(finalist, "my_score", None)
    if score is None:
        return {}
    return {"originality": score.originality, "balance": score.balance,
            "emotional": score.emotional, "comment": score.comment}  # fmt: skip
