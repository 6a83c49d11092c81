from __future__ import annotations

from django.contrib import admin

from chartbusters.challenges.admin import HostOnlyAdmin
from chartbusters.judging.models import JudgeScore


@admin.register(JudgeScore)
class JudgeScoreAdmin(HostOnlyAdmin):
    list_display = ("challenge", "submission", "judge", "originality", "balance", "emotional")
    list_filter = ("challenge",)
    readonly_fields = ("created_at", "updated_at")
