from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chartbusters.challenges.admin import HostOnlyAdmin
from chartbusters.submissions.models import Submission


@admin.register(Submission)
class SubmissionAdmin(HostOnlyAdmin):
    """Read-only: entries change through the pipeline and the host actions (API)."""

    list_display = ("title", "participant", "challenge", "state", "score", "ranked", "created_at")
    list_filter = ("challenge", "state", "ranked", "technique")
    search_fields = ("title", "participant__username", "uuid")
    list_select_related = ("participant", "challenge")
    exclude = ("fingerprint",)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
