from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from chartbusters.accounts.models import User
from chartbusters.challenges.access import access_challenge, scores_visible
from chartbusters.challenges.models import Challenge
from chartbusters.challenges.web import access_errors_as_http
from chartbusters.core.errors import ApplicationError
from chartbusters.evaluator.privacy import owner_flags, owner_text
from chartbusters.studio import labels
from chartbusters.studio.access import access_composition
from chartbusters.studio.selectors import composition_choices
from chartbusters.studio.services import composition_submit
from chartbusters.submissions.access import access_submission
from chartbusters.submissions.forms import SubmissionForm
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import board_hold
from chartbusters.submissions.provenance_display import badge, chain_rows
from chartbusters.submissions.selectors import quota_left, submission_list_for_participant
from chartbusters.submissions.services import submission_create


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # guaranteed by @login_required
    return request.user


@login_required
@require_http_methods(["GET", "POST"])
@access_errors_as_http
def submission_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = access_challenge(request.user, slug)
    form = SubmissionForm(
        request.POST or None,
        request.FILES or None,
        challenge=challenge,
        compositions=composition_choices(user=_user(request), challenge=challenge),
        initial={"composition": request.GET.get("composition", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            submission = _enter(request, challenge, form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"“{submission.title}” is in the queue to be scored.")
            return redirect("submissions:detail", submission.uuid)
    context = {
        "challenge": challenge,
        "form": form,
        "accepts_entries": challenge.accepts_entries_at(timezone.now()),
        "quota": quota_left(user=_user(request), challenge=challenge, now=timezone.now()),
    }
    return render(request, "submissions/create.html", context)


def _enter(request: HttpRequest, challenge: Challenge, data: dict[str, Any]) -> Submission:
    """From a studio composition (with its provenance) or from an uploaded file."""
    if data.get("composition"):
        return composition_submit(
            user=_user(request),
            composition=access_composition(request.user, data["composition"]),
            challenge=challenge,
            title=data["title"],
            description=data["description"],
        )
    return submission_create(
        user=_user(request),
        challenge=challenge,
        title=data["title"],
        description=data["description"],
        technique=data["technique"],
        midi_bytes=data["file"],
        provenance=data["provenance"],
    )


@login_required
@require_GET
def my_submissions(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    page = Paginator(submission_list_for_participant(user=user), 25).get_page(
        request.GET.get("page")
    )
    rows = [(entry, scores_visible(user, entry.challenge)) for entry in page]
    return render(request, "submissions/mine.html", {"page": page, "rows": rows})


@login_required
@require_GET
@access_errors_as_http
def submission_detail(request: HttpRequest, submission_id: str) -> HttpResponse:
    access = access_submission(request.user, submission_id)
    entry = access.submission
    context = {
        "access": access,
        "entry": entry,
        # Hosts see which entry a copy matches; owners that it matches an earlier one.
        "flags": entry.flags if access.is_host else owner_flags(entry.flags),
        "explanation": entry.explanation if access.is_host else owner_text(entry.explanation),
        "badge": badge(entry.verification, entry.hand_edited, entry.verification_note),
        "chain": chain_rows(entry.provenance, labels.CHAIN_WORDS),
        "board_hold": board_hold(
            entry.challenge.provenance_rule,
            entry.verification,
            entry.hand_edited,
            entry.verification_note,
        ),
    }
    return render(request, "submissions/detail.html", context)


@login_required
@require_GET
@access_errors_as_http
def submission_midi(request: HttpRequest, submission_id: str) -> HttpResponse:
    submission = access_submission(request.user, submission_id).submission
    with submission.midi.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="audio/midi")
    response["Content-Disposition"] = f'attachment; filename="entry-{submission.short_id}.mid"'
    return response
