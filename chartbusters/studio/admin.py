from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chartbusters.challenges.admin import HostOnlyAdmin
from chartbusters.studio.models import Composition, GenerationJob


class ReadOnlyAdmin(HostOnlyAdmin):
    """Read-only for hosts (support and moderation): studio rows change through the
    studio's services, which also look after the files."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Composition)
class CompositionAdmin(ReadOnlyAdmin):
    list_display = ("title", "owner", "kind", "technique", "audio_state", "bars", "created_at")
    list_filter = ("kind", "technique", "audio_state")
    search_fields = ("title", "owner__username", "uuid")
    list_select_related = ("owner",)
    exclude = ("roll",)


@admin.register(GenerationJob)
class GenerationJobAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "owner", "technique", "state", "attempts", "created_at")
    list_filter = ("state", "technique")
    search_fields = ("uuid", "owner__username")
    list_select_related = ("owner",)
