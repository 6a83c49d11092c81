"""Entries' audio (the Ogg Vorbis listening copy), with the entry's own visibility rules."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from chartbusters.challenges.access import Viewer
from chartbusters.core.errors import ApplicationError
from chartbusters.core.ranges import ranged_file_response
from chartbusters.leaderboards.likes import access_listen
from chartbusters.submissions.access import access_submission
from chartbusters.submissions.models import Submission


def _not_found() -> ApplicationError:
    return ApplicationError("No such entry.", code="not_found", status=404)


def _as_listener(user: Viewer, entry: Submission) -> Submission:
    return access_listen(user, entry.challenge.slug, entry.uuid)


def access_entry_audio(user: Viewer, submission_id: UUID | str) -> Submission:
    """Who may see an entry may hear it: its owner and hosts; anyone the board shows it
    to (a ranked entry on a visible board). Anyone else gets a 404, hidden boards
    included (as if the entry did not exist). Judges listen to finalists through their
    judging handle (``api-finalist-audio``), never by the entry's public id."""
    try:
        return access_submission(user, submission_id).submission
    except ApplicationError:
        pass
    entry = Submission.objects.select_related("challenge").filter(uuid=str(submission_id)).first()
    if entry is None:
        raise _not_found()
    try:
        return _as_listener(user, entry)
    except ApplicationError:
        raise _not_found() from None


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
