"""Request-level guards that run before any view reads the request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme


class RequestBodyLimitMiddleware:
    """Refuse a body larger than ``MAX_REQUEST_BODY_BYTES`` by its declared length, before
    a byte of it is read.

    Django caps form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams file parts to disk
    whatever their size, so without this a 1 GB "MIDI file" is written to a temporary
    file before the view can say it is too large. The WSGI server never hands a view more
    than Content-Length bytes, so checking the declared length is enough.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = next(
            (size for path, size in settings.LARGE_UPLOAD_PATHS.items()
             if request.path.startswith(path)),
            settings.MAX_REQUEST_BODY_BYTES,
        )  # fmt: skip
        if length <= limit:
            return self.get_response(request)
        message = f"The request is {length // 1024} KB; the limit is {limit // 1024} KB."
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "too_large"}, status=413)
        # A page in the site's layout: the form is lost (its body was never read), so say
        # why and offer the way back. Forms with files check the size in the page first.
        page = render_to_string(
            "core/too_large.html",
            {"message": message, "back": _same_site(request, request.META.get("HTTP_REFERER"))},
            request=request,
        )
        return HttpResponse(page, status=413)


def _same_site(request: HttpRequest, url: str | None) -> str:
    """``url`` if it leads back into this site, else ""."""
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else ""


class ContentSecurityPolicyMiddleware:
    """Send ``CONTENT_SECURITY_POLICY`` (settings) on every response that has none.

    The policy allows nothing inline: pages load scripts and styles from static files
    and pass data to scripts in ``json_script`` blocks, so markup that ever slipped past
    escaping still could not run. Placed right below SecurityMiddleware, so static files
    and the body-limit refusals get the header too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = "; ".join(
            " ".join([directive, *sources])
            for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.header)
        return response
