from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from chartbusters.challenges.access import is_host, require_host
from chartbusters.challenges.models import Challenge, Technique
from chartbusters.challenges.services import challenge_schedule, challenge_unschedule
from chartbusters.core.errors import ApplicationError


class ChallengeAdminForm(forms.ModelForm[Challenge]):
    allowed_techniques = forms.MultipleChoiceField(
        choices=Technique.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="How entries may be made: with a studio generator, or uploaded.",
    )

    class Meta:
        model = Challenge
        fields = (
            "title", "slug", "theme", "description", "starts_at", "ends_at",
            "allowed_techniques", "provenance_rule", "daily_quota", "total_quota",
            "evaluation_profile", "use_judge_below_targets",
            "weight_realism", "weight_typicality", "weight_frechet", "leaderboard_visibility",
            "judges", "finalists_count", "judge_weight",
        )  # fmt: skip

    def clean_judges(self) -> Any:
        """Nobody judges a challenge they entered (judging's rule, imported late: the
        admin is glue on top of the apps)."""
        from chartbusters.judging.services import judges_check

        judges = self.cleaned_data["judges"]
        if self.instance.pk is not None:
            try:
                judges_check(challenge=self.instance, judges=judges)
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message) from None
        return judges


class HostOnlyAdmin(admin.ModelAdmin[Any]):
    """Hosts (and superusers) manage competitions; other staff see nothing of them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_host(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_host(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_host(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_host(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_host(request.user)


@admin.register(Challenge)
class ChallengeAdmin(HostOnlyAdmin):
    form = ChallengeAdminForm
    list_display = ("title", "status", "starts_at", "ends_at", "leaderboard_visibility",
                    "leaderboard_csv")  # fmt: skip
    list_filter = ("status", "leaderboard_visibility", "evaluation_profile")
    search_fields = ("title", "slug", "theme")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("status", "results_published_at", "created_by", "created_at", "updated_at",
                       "leaderboard_csv")  # fmt: skip
    filter_horizontal = ("judges",)
    date_hierarchy = "starts_at"
    actions = ("schedule", "back_to_draft", "rescore", "publish_results")
    fieldsets = (
        ("The challenge", {"fields": ("title", "slug", "theme", "description")}),
        (
            "Schedule",
            {
                "fields": ("starts_at", "ends_at", "status", "results_published_at"),
                "description": "New challenges are drafts, seen by hosts only. Use the "
                "“Schedule” action to announce one: it then opens and closes by the clock.",
            },
        ),
        (
            "Entries",
            {"fields": ("allowed_techniques", "provenance_rule", "daily_quota", "total_quota")},
        ),
        (
            "Scoring",
            {
                "fields": (
                    "evaluation_profile",
                    "use_judge_below_targets",
                    ("weight_realism", "weight_typicality", "weight_frechet"),
                ),
                "description": "The automatic score is the weighted geometric mean of the "
                "three components, on 0-100, raised to the musicality floor (part of the "
                "scale for real music of another style) where that is higher.",
            },
        ),
        ("Leaderboard", {"fields": ("leaderboard_visibility", "leaderboard_csv")}),
        ("Judging", {"fields": ("judges", "finalists_count", "judge_weight")}),
        (
            "Record",
            {"fields": ("created_by", "created_at", "updated_at"), "classes": ("collapse",)},
        ),
    )

    @admin.display(description="Leaderboard CSV")
    def leaderboard_csv(self, challenge: Challenge) -> SafeString | str:
        if challenge.pk is None:
            return "–"
        url = reverse("api-leaderboard-csv", args=[challenge.slug])
        return format_html('<a href="{}" download>Download the leaderboard (CSV)</a>', url)

    def save_model(self, request: HttpRequest, obj: Challenge, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        if change and "provenance_rule" in form.changed_data:
            # Who may rank changed with the rule: rebuild the board from the entries.
            from chartbusters.leaderboards.services import leaderboard_rebuild

            leaderboard_rebuild(challenge_id=obj.pk)
        if change and "evaluation_profile" in form.changed_data and self._has_scored(obj):
            # Another judge (or another version of one): every entry is judged again, and
            # the run records who moved (Rescore runs).
            self.rescore(request, Challenge.objects.filter(pk=obj.pk))

    @staticmethod
    def _has_scored(challenge: Challenge) -> bool:
        from chartbusters.submissions.models import Submission
        from chartbusters.submissions.states import SubmissionState

        return Submission.objects.filter(challenge=challenge, state=SubmissionState.SCORED).exists()

    @admin.action(description="Schedule (announce; it opens and closes by the clock)")
    def schedule(self, request: HttpRequest, queryset: QuerySet[Challenge]) -> None:
        self._each(request, queryset, challenge_schedule, "scheduled")

    @admin.action(description="Back to draft (only while it has no entries)")
    def back_to_draft(self, request: HttpRequest, queryset: QuerySet[Challenge]) -> None:
        self._each(request, queryset, challenge_unschedule, "back to draft")

    @admin.action(description="Rescore every entry (e.g. after an evaluator upgrade)")
    def rescore(self, request: HttpRequest, queryset: QuerySet[Challenge]) -> None:
        from chartbusters.leaderboards.rescore import leaderboard_rescore_start

        host = require_host(request.user)
        self._each(
            request,
            queryset,
            lambda challenge: leaderboard_rescore_start(challenge=challenge, by=host),
            "rescore started (see Rescore runs for the rank changes)",
        )

    @admin.action(description="Publish the results (freezes the final ranking)")
    def publish_results(self, request: HttpRequest, queryset: QuerySet[Challenge]) -> None:
        from chartbusters.judging.results import leaderboard_publish_results

        self._each(request, queryset, leaderboard_publish_results, "results published")

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Challenge], action: Any, done: str
    ) -> None:
        for challenge in queryset:
            try:
                action(challenge=challenge)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"“{challenge}”: {done}.", messages.SUCCESS)
