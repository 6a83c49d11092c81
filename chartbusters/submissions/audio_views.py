"""Entries' audio (the Ogg Vorbis listening copy), with the entry's own visibility rules."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from chartbusters.challenges.access import Viewer
from chartbusters.core.errors import ApplicationError
from chartbusters.core.ranges import ranged_file_response
from chartbusters.judging.access import access_judging
from chartbusters.judging.selectors import finalists_for_judge
from chartbusters.leaderboards.likes import access_listen
from chartbusters.submissions.access import access_submission
from chartbusters.submissions.models import Submission


def _not_found() -> ApplicationError:
    return ApplicationError("No such entry.", code="not_found", status=404)


def _as_listener(user: Viewer, entry: Submission) -> Submission:
    return access_listen(user, entry.challenge.slug, entry.uuid)


def _as_judge(user: Viewer, entry: Submission) -> Submission:
    challenge, judge = access_judging(user, entry.challenge.slug)
    if entry.pk not in {
        f.submission.pk for f in finalists_for_judge(challenge=challenge, judge=judge)
    }:
        raise _not_found()
    return entry


def access_entry_audio(user: Viewer, submission_id: UUID | str) -> Submission:
    """Who may see an entry may hear it: its owner and hosts; anyone the board shows it
    to (a ranked entry on a visible board); the challenge's judges, for finalists. Anyone
    else gets a 404, hidden boards included (as if the entry did not exist)."""
    try:
        return access_submission(user, submission_id).submission
    except ApplicationError:
        pass
    entry = Submission.objects.select_related("challenge").filter(uuid=str(submission_id)).first()
    if entry is None:
        raise _not_found()
    for rule in (_as_listener, _as_judge):
        try:
            return rule(user, entry)
        except ApplicationError:
            continue
    raise _not_found()


@require_safe
def entry_audio(request: HttpRequest, submission_id: UUID) -> HttpResponseBase:
    try:
        entry = access_entry_audio(request.user, submission_id)
    except ApplicationError as exc:  # only ever a 404
        raise Http404(exc.message) from None
    if not entry.has_audio:
        raise Http404("This entry's audio is not ready.")
    # One byte range honoured (206), so players can seek in a long entry.
    response = ranged_file_response(request, entry.audio.open("rb"), content_type="audio/ogg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
