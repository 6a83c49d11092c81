from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chartbusters.core.health import check_broker, check_database, check_queues


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Clients that ask for /favicon.ico without reading the page's <link rel=icon>."""
    return HttpResponseRedirect(static("img/favicon.svg"))


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 when one does not: which one,
    but never why (the reason, with hosts and names, is in the log)."""
    checks = {"database": check_database(), "broker": check_broker()}
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {name: {"ok": ok} for name, ok in checks.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def healthz_workers(request: HttpRequest) -> JsonResponse:
    """Per queue: is a worker consuming it, and how old is its oldest message. 503 when
    a queue has a backlog older than ``HEALTH_QUEUE_MAX_AGE_SECONDS`` and no consumer."""
    queues = check_queues()
    healthy = all(queue.ok for queue in queues.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "queues": {
            name: {
                "ok": queue.ok,
                "consumed": queue.consumed,
                "oldest_message_age_seconds": (
                    None if queue.oldest_age_seconds is None else round(queue.oldest_age_seconds)
                ),
            }
            for name, queue in queues.items()
        },
    }
    return JsonResponse(body, status=200 if healthy else 503)
