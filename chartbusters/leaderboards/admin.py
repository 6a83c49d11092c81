from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

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
    list_display = ("challenge", "state", "rescored", "moved", "requested_by", "created_at",
                    "finished_at")  # fmt: skip
    list_filter = ("challenge", "state")
    # The run's records in words: who moved, from where to where, and why.
    fields = ("challenge", "state", "requested_by", "rescored", "created_at", "finished_at",
              "rank_changes")  # fmt: skip
    readonly_fields = ("rank_changes",)

    @admin.display(description="Participants moved")
    def moved(self, run: RescoreRun) -> str:
        return "–" if run.state != RescoreRun.State.DONE else str(len(run.changes))

    @admin.display(description="Rank changes")
    def rank_changes(self, run: RescoreRun) -> SafeString | str:
        if run.state != RescoreRun.State.DONE:
            return "Still running: the changes are listed when every entry has been rescored."
        if not run.changes:
            return "Nobody moved: every participant kept their rank."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (c.get("participant"), _rank(c.get("before")), _rank(c.get("after")),
                 c.get("why", ""))
                for c in run.changes
            ),
        )  # fmt: skip
        return format_html(
            "<table><thead><tr><th>Participant</th><th>From</th><th>To</th><th>Why</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            rows,
        )


def _rank(rank: object) -> str:
    return "not ranked" if rank is None else f"#{rank}"


@admin.register(FinalResult)
class FinalResultAdmin(ReadOnlyHostAdmin):
    list_display = ("challenge", "rank", "participant_name", "title", "automatic_score",
                    "judge_score", "final_score")  # fmt: skip
    list_filter = ("challenge",)
