from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chartbusters.core.health import check_broker, check_database


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 (with which one failed) when not."""
    checks = {"database": check_database(), "broker": check_broker()}
    healthy = all(result.ok for result in checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {
            name: {"ok": result.ok, "detail": result.detail} for name, result in checks.items()
        },
    }
    return JsonResponse(body, status=200 if healthy else 503)
