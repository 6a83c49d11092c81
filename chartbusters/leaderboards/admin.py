from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chartbusters.challenges.admin import HostOnlyAdmin
from chartbusters.leaderboards.models import FinalResult, RescoreRun


class ReadOnlyHostAdmin(HostOnlyAdmin):
    """Records: nobody adds, changes or deletes them here (published results are final)."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RescoreRun)
class RescoreRunAdmin(ReadOnlyHostAdmin):
    list_display = ("challenge", "state", "rescored", "requested_by", "created_at", "finished_at")
    list_filter = ("challenge", "state")
    readonly_fields = ("changes",)


@admin.register(FinalResult)
class FinalResultAdmin(ReadOnlyHostAdmin):
    list_display = ("challenge", "rank", "participant_name", "title", "automatic_score",
                    "judge_score", "final_score")  # fmt: skip
    list_filter = ("challenge",)
