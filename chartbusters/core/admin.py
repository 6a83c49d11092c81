from django.contrib import admin

from chartbusters.core.models import WorkerProbe


@admin.register(WorkerProbe)
class WorkerProbeAdmin(admin.ModelAdmin[WorkerProbe]):
    list_display = ("id", "created_at", "completed_at", "worker")
