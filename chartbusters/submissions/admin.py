from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from chartbusters.challenges.access import require_host
from chartbusters.challenges.admin import HostOnlyAdmin
from chartbusters.core import limits
from chartbusters.core.errors import ApplicationError
from chartbusters.studio import labels
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance_display import chain_rows
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
    # The report's JSON is shown in words (below), never as raw data.
    exclude = ("fingerprint", "provenance", "components", "weights", "flags", "details")
    readonly_fields = ("how_it_was_made", "score_breakdown", "report_flags", "least_typical")
    action_form = DisqualifyForm
    actions = ("disqualify", "restore")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="How it was made")
    def how_it_was_made(self, entry: Submission) -> SafeString | str:
        rows = chain_rows(entry.provenance, labels.CHAIN_WORDS)
        if not rows:
            return "No provenance (an uploaded file)."
        items = format_html_join("", "<li>{} <span>{}</span></li>",
                                 ((row.step, row.detail) for row in rows))  # fmt: skip
        return format_html("<ol>{}</ol>", items)

    @admin.display(description="Score breakdown")
    def score_breakdown(self, entry: Submission) -> SafeString | str:
        if not entry.components:
            return "Not scored."
        weights = entry.weights or {}
        rows = format_html_join(
            "",
            "<li>{}: {} (weight {})</li>",
            (
                (labels.component(name)["label"], f"{value:.3f}", weights.get(name, "–"))
                for name, value in entry.components.items()
            ),
        )
        return format_html("<ul>{}</ul>", rows)

    @admin.display(description="Flags")
    def report_flags(self, entry: Submission) -> SafeString | str:
        flags = [flag for flag in entry.flags or [] if isinstance(flag, dict)]
        if not flags:
            return "None."
        return format_html("<ul>{}</ul>", format_html_join(
            "", "<li>{}: {}</li>",
            ((labels.flag(str(f.get("code", "")))["label"], f.get("message", "")) for f in flags),
        ))  # fmt: skip

    @admin.display(description="Statistics least like the reference")
    def least_typical(self, entry: Submission) -> SafeString | str:
        outliers = (entry.details or {}).get("typicality_outliers") or {}
        if not outliers:
            return "–"
        return format_html("<ul>{}</ul>", format_html_join(
            "", "<li>{}: {}</li>",
            ((labels.statistic(name)["label"], value) for name, value in outliers.items()),
        ))  # fmt: skip

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
