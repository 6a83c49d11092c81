"""Reference sets and judge builds in the admin: hosts only (participants and judges,
staff or not, never see a set, a piece or a build)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from chartbusters.challenges.access import is_host, require_host
from chartbusters.challenges.admin import HostOnlyAdmin
from chartbusters.core.errors import ApplicationError
from chartbusters.evaluator import building
from chartbusters.references.builds import eta_seconds, judge_build_cancel, judge_build_start
from chartbusters.references.models import JudgeBuild, ReferencePiece, ReferenceSet
from chartbusters.references.services import (
    MAX_CORPUS_PICK,
    reference_set_add_corpus,
    reference_set_add_files,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".mid,.midi,.zip"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ReferenceSetForm(forms.ModelForm[ReferenceSet]):
    upload = MultipleFileField(
        required=False,
        help_text="MIDI files, or zip archives of them. Each is checked as an entry is; "
        "what is refused, and why, is listed below after saving.",
    )
    corpus = forms.ChoiceField(
        required=False,
        choices=[("", "(none)"), *building.corpus_choices()],
        help_text="Add pieces from a corpus bundled with the service.",
    )
    corpus_search = forms.CharField(
        required=False,
        help_text="Words every picked piece's id or title holds: a composer or collection "
        "(palestrina, bwv248, oneill), a title word (Reel, Himmel). Empty: any.",
    )
    corpus_limit = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_CORPUS_PICK, initial=200,
        help_text="Add at most this many matching pieces.",
    )  # fmt: skip

    class Meta:
        model = ReferenceSet
        fields = ("name", "slug", "description", "licence_note")


class ReferencePieceInline(admin.TabularInline[ReferencePiece, ReferenceSet]):
    model = ReferencePiece
    extra = 0
    can_delete = True
    fields = ("name", "title", "origin", "notes", "near_duplicate")
    readonly_fields = fields

    @admin.display(description="Near-duplicate of")
    def near_duplicate(self, piece: ReferencePiece) -> str:
        if not piece.near_duplicate_of:
            return "–"
        return f"{piece.near_duplicate_of} (aligned {piece.near_duplicate_alignment:.2f})"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_host(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_host(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_host(request.user)


@admin.register(ReferenceSet)
class ReferenceSetAdmin(HostOnlyAdmin):
    form = ReferenceSetForm
    list_display = ("name", "owner", "piece_count", "latest_build", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("owner", "refusals", "builds")
    inlines = (ReferencePieceInline,)
    actions = ("build_judge",)
    fieldsets = (
        ("The set", {"fields": ("name", "slug", "description", "licence_note", "owner")}),
        ("Add pieces", {"fields": ("upload", "corpus", "corpus_search", "corpus_limit")}),
        ("Refused in the last upload", {"fields": ("refusals",)}),
        ("Judge versions", {"fields": ("builds",)}),
    )

    @admin.display(description="pieces")
    def piece_count(self, obj: ReferenceSet) -> int:
        return obj.pieces.count()

    @admin.display(description="latest judge")
    def latest_build(self, obj: ReferenceSet) -> str:
        build = obj.builds.order_by("-version").first()
        return f"{build.profile_name}: {build.get_state_display()}" if build else "–"

    @admin.display(description="Refused")
    def refusals(self, obj: ReferenceSet) -> str:
        if not obj.last_refusals:
            return "Nothing was refused."
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td></tr>",
            ((r["file"], r["reason"]) for r in obj.last_refusals),
        )  # fmt: skip
        return format_html("<table><tr><th>file</th><th>why</th></tr>{}</table>", rows)

    @admin.display(description="Versions")
    def builds(self, obj: ReferenceSet) -> str:
        rows = format_html_join(
            "", '<li><a href="../../../judgebuild/{}/change/">{}</a>: {}</li>',
            ((b.pk, b.profile_name, b.get_state_display()) for b in obj.builds.all()),
        )  # fmt: skip
        return format_html("<ul>{}</ul>", rows) if obj.pk and obj.builds.exists() else "None yet."

    def save_model(self, request: HttpRequest, obj: ReferenceSet, form: Any, change: bool) -> None:
        if not change:
            obj.owner = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        data = form.cleaned_data
        try:
            if data.get("upload"):
                files = [(f.name, f.read()) for f in data["upload"]]
                report = reference_set_add_files(reference_set=obj, files=files)
                self.message_user(request, report.summary(), _level(report.refused))
            if data.get("corpus"):
                report = reference_set_add_corpus(
                    reference_set=obj,
                    corpus=data["corpus"],
                    search=data.get("corpus_search") or "",
                    limit=data.get("corpus_limit") or 200,
                )
                self.message_user(request, report.summary(), _level(report.refused))
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    @admin.action(description="Build judge (a new version, on the training workers)")
    def build_judge(self, request: HttpRequest, queryset: QuerySet[ReferenceSet]) -> None:
        host = require_host(request.user)
        for reference_set in queryset:
            try:
                build = judge_build_start(reference_set=reference_set, by=host)
            except ApplicationError as exc:
                self.message_user(request, f"“{reference_set}”: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Judge {build.profile_name} queued (see Judge builds).",
                    messages.SUCCESS,
                )


def _level(refused: list[Any]) -> int:
    return messages.WARNING if refused else messages.SUCCESS


@admin.register(JudgeBuild)
class JudgeBuildAdmin(HostOnlyAdmin):
    list_display = ("profile_name", "state", "progress_bar", "stage", "estimate", "gate")
    list_filter = ("state", "passes_validity")
    actions = ("cancel",)
    fields = (
        "profile_name", "reference_set", "state", "progress_bar", "stage", "estimate",
        "error", "gate", "figures_table", "validity_report", "redteam_report", "log_text",
        "pieces", "requested_by", "created_at", "started_at", "heartbeat_at", "finished_at",
    )  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # a build is started from its set ("Build judge")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a version challenges may name stays on record (it is immutable)

    @admin.display(description="progress")
    def progress_bar(self, obj: JudgeBuild) -> str:
        share = round(obj.progress * 100)
        bar = '<progress max="100" value="{}">{} %</progress> {} %'
        return format_html(bar, share, share, share)

    @admin.display(description="time left (estimate)")
    def estimate(self, obj: JudgeBuild) -> str:
        seconds = eta_seconds(obj)
        if seconds is None:
            return "–" if obj.is_finished else "estimating…"
        return f"about {max(1, round(seconds / 60))} min"

    @admin.display(description="validity gate")
    def gate(self, obj: JudgeBuild) -> str:
        if obj.state != "built":
            return "–"
        return "passes the shipped targets" if obj.passes_validity else "below the targets"

    @admin.display(description="figures on the set's own test split")
    def figures_table(self, obj: JudgeBuild) -> str:
        figures = obj.figures
        if not figures:
            return "–"
        rows = [("held-out real pieces: median score", f"{figures['real_median']:.1f}")]
        rows += [
            (f"AUROC real vs {name.replace('_', ' ')} (baseline AI judge)",
             f"{f['auroc']:.3f} ({f['baseline_auroc']:.3f})")
            for name, f in figures["families"].items()
        ]  # fmt: skip
        rows += [(f"copies flagged: {k}", f"{v:.0%}") for k, v in figures["copy_recall"].items()]
        rows += [("real pieces falsely flagged", f"{figures['false_flags']:.0%}")]
        rows += [(f"target: {name}", "met" if ok else "NOT met") for name, ok in figures["checks"]]
        rows += [(f"red team: {name}", outcome) for name, outcome in figures["redteam"]]
        body = format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", rows)
        return format_html("<table>{}</table>", body)

    @admin.display(description="validity report")
    def validity_report(self, obj: JudgeBuild) -> str:
        return _pre(building.judge_report(obj.profile_name, "VALIDITY.md"))

    @admin.display(description="red-team report")
    def redteam_report(self, obj: JudgeBuild) -> str:
        return _pre(building.judge_report(obj.profile_name, "REDTEAM.md"))

    @admin.display(description="log")
    def log_text(self, obj: JudgeBuild) -> str:
        return _pre(obj.log)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        build = JudgeBuild.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        extra = dict(extra_context or {})
        # The page reloads itself while the build runs: progress within seconds.
        extra["refresh_seconds"] = 3 if build is not None and not build.is_finished else None
        return super().change_view(request, object_id, form_url, extra)

    @admin.action(description="Cancel the build")
    def cancel(self, request: HttpRequest, queryset: QuerySet[JudgeBuild]) -> None:
        for build in queryset:
            try:
                build = judge_build_cancel(build=build)
            except ApplicationError as exc:
                self.message_user(request, f"{build}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{build}: {build.get_state_display()}.")


def _pre(text: str) -> str:
    return format_html("<pre style='white-space: pre-wrap'>{}</pre>", text) if text else "–"
