from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from chartbusters.challenges.access import require_host
from chartbusters.challenges.admin import HostOnlyAdmin
from chartbusters.core import limits
from chartbusters.core.errors import ApplicationError
from chartbusters.submissions.models import Submission
from chartbusters.submissions.services import submission_disqualify, submission_restore


class DisqualifyForm(ActionForm):
    reason = forms.CharField(
        required=False,
        max_length=limits.TEXT,
        label="Reason",
        help_text="For “Disqualify”: the entry's owner sees it.",
    )


@admin.register(Submission)
class SubmissionAdmin(HostOnlyAdmin):
    """Read-only: entries change through the pipeline and the host actions.

    An entry is never deleted, by anyone, superusers included: a deleted winner would
    vanish from published results and leave the board unranked. A host disqualifies it
    instead (below, or through the API), which keeps the record, tells the owner why and
    re-ranks the board in the same transaction.
    """

    list_display = ("title", "participant", "challenge", "state", "score", "ranked",
                    "verification", "disqualified_at", "created_at")  # fmt: skip
    list_filter = ("challenge", "state", "ranked", "technique", "verification", "hand_edited")
    search_fields = ("title", "participant__username", "uuid")
    list_select_related = ("participant", "challenge")
    exclude = ("fingerprint",)
    action_form = DisqualifyForm
    actions = ("disqualify", "restore")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Disqualify (kept, off the board; give the reason above)")
    def disqualify(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        host = require_host(request.user)
        reason = str(request.POST.get("reason", ""))
        self._each(
            request,
            queryset,
            lambda entry: submission_disqualify(submission=entry, by=host, reason=reason),
            "disqualified",
        )

    @admin.action(description="Restore (undo a disqualification)")
    def restore(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        require_host(request.user)
        self._each(
            request, queryset, lambda entry: submission_restore(submission=entry), "restored"
        )

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Submission], action: Any, done: str
    ) -> None:
        count = 0
        for entry in queryset:
            try:
                action(entry)
            except ApplicationError as exc:
                self.message_user(request, f"“{entry.title}”: {exc.message}", messages.ERROR)
            else:
                count += 1
        if count:
            noun = "entry" if count == 1 else "entries"
            self.message_user(request, f"{count} {noun} {done}.", messages.SUCCESS)
