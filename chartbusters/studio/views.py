"""The studio's pages: the single-page studio (its template belongs to the frontend) and
the server-rendered compositions list and detail, which work without JavaScript."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from chartbusters.accounts.models import User
from chartbusters.challenges.access import access_challenge
from chartbusters.challenges.models import Technique
from chartbusters.challenges.web import access_errors_as_http
from chartbusters.core import limits
from chartbusters.core.errors import ApplicationError
from chartbusters.studio import generators, scores, services
from chartbusters.studio.access import access_composition
from chartbusters.studio.api import sample_rows
from chartbusters.studio.forms import RenameForm, SubmitForm
from chartbusters.studio.generators import technique_rows
from chartbusters.studio.models import Composition
from chartbusters.studio.selectors import (
    challenges_open_for,
    composition_ancestors,
    composition_list_for_owner,
)
from chartbusters.studio.services import composition_provenance
from chartbusters.studio.tasks import queue_missing_sample_audio
from music.instruments import instruments_json
from music.render import render_svg


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # guaranteed by @login_required
    return request.user


def _start(request: HttpRequest) -> str | None:
    """``?from=<uuid>``: one of the user's compositions to load as the input."""
    wanted = request.GET.get("from")
    if not wanted:
        return None
    try:
        return str(access_composition(request.user, wanted).uuid)
    except ApplicationError:
        return None


@login_required
@require_GET
def studio(request: HttpRequest) -> HttpResponse:
    queue_missing_sample_audio()
    context = {
        "samples": sample_rows(),
        "techniques": technique_rows(),
        "open_challenges": [
            {"slug": c.slug, "title": c.title, "allowed_techniques": c.allowed_techniques}
            for c in challenges_open_for()
        ],
        "start": _start(request),
        "instruments": instruments_json(),
        "max_bars": generators.MAX_BARS,  # the recorder's and the editor's limit too
    }
    return render(request, "studio/studio.html", context)


@login_required
@require_GET
def compositions(request: HttpRequest) -> HttpResponse:
    page = Paginator(composition_list_for_owner(user=_user(request)), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "studio/compositions.html", {"page": page})


def _entry_technique(composition: Composition) -> str:
    return composition.technique if composition.is_generated else Technique.UPLOAD


def _detail(
    request: HttpRequest, composition: Composition, form: SubmitForm | None = None
) -> HttpResponse:
    challenges = challenges_open_for(_entry_technique(composition))
    with composition.midi.open("rb") as handle:
        score = scores.score_from_stored_midi(handle.read())
    context: dict[str, Any] = {
        "composition": composition,
        "ancestors": composition_ancestors(composition),
        "provenance": composition_provenance(composition),
        "roll_svg": mark_safe(render_svg(score, title=composition.title)),  # noqa: S308 (escaped by render_svg)
        "submit_form": form
        or SubmitForm(challenges=challenges, initial={"title": composition.title}),
        "challenges": challenges,
    }
    return render(request, "studio/composition_detail.html", context)


@login_required
@require_GET
@access_errors_as_http
def composition_detail(request: HttpRequest, composition_id: str) -> HttpResponse:
    return _detail(request, access_composition(request.user, composition_id))


@login_required
@require_POST
@access_errors_as_http
def composition_rename(request: HttpRequest, composition_id: str) -> HttpResponse:
    composition = access_composition(request.user, composition_id)
    form = RenameForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(
                f"Give the composition a title of at most {limits.TITLE} characters."
            )
        services.composition_rename(composition=composition, title=form.cleaned_data["title"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Renamed to “{composition.title}”.")
    return redirect(_next(request, "studio:composition", composition.uuid))


@login_required
@require_POST
@access_errors_as_http
def composition_delete(request: HttpRequest, composition_id: str) -> HttpResponse:
    composition = access_composition(request.user, composition_id)
    title = composition.title
    services.composition_delete(composition=composition)
    messages.success(request, f"Deleted “{title}”.")
    return redirect("studio:compositions")


@login_required
@require_POST
@access_errors_as_http
def composition_submit(request: HttpRequest, composition_id: str) -> HttpResponse:
    composition = access_composition(request.user, composition_id)
    challenges = challenges_open_for(_entry_technique(composition))
    form = SubmitForm(request.POST, challenges=challenges)
    if form.is_valid():
        try:
            submission = services.composition_submit(
                user=_user(request),
                composition=composition,
                challenge=access_challenge(request.user, form.cleaned_data["challenge"]),
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"“{submission.title}” is in the queue to be scored.")
            return redirect("submissions:detail", submission.uuid)
    return _detail(request, composition, form)


def _next(request: HttpRequest, fallback: str, *args: Any) -> Any:
    """Back to the list when the form came from it, else to ``fallback``."""
    if request.POST.get("next") == "list":
        return "studio:compositions"
    return reverse(fallback, args=args)
