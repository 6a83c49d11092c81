"""Reads that cost nothing between changes: a whole response, cached under a key naming
everything it was made from, served again until one of those things changes, and
answered with 304 Not Modified when the client already holds it.

The key is a digest of: the row the page is about (every column of the challenge, among
them ``board_version``, bumped in the transaction of anything that changes what a board
shows, and ``updated_at``, moved by every edit), the variant asked for (sort, page...),
who asks (``viewer``) and the code that renders it (``render_revision``). The ETag is
that digest, so a conditional request is answered before the cache is even read.

Access is never cached: every request runs its access checks on a freshly read row, and
only then looks the page up. What differs between viewers is in the key: anonymous
viewers share one page; a signed-in viewer's key holds their identity, their CSRF secret
(the page's forms carry a token made from it) and what the template context processors
add (the nav). A response is never stored when it consumed a message, set a new CSRF
cookie, or is anything but a plain 200.
"""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache as default_cache
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.module_loading import import_string

CACHE_HEADER = "X-Page-Cache"  # "hit" or "miss": lets operators (and tests) see the cache work
# Django's own processors put objects in the context (the user, messages) that the key
# holds in other ways; every other processor's output goes into a signed-in viewer's key.
_OBJECT_PROCESSORS = {
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
}
_REVISION_SOURCES = ("templates", "static", "chartbusters")


@dataclass(frozen=True)
class PageKey:
    digest: str
    last_modified: datetime | None  # None: not sent (time-dependent, or changed just now)
    private: bool  # made for one signed-in viewer

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'

    @property
    def cache_key(self) -> str:
        return f"page:{self.digest}"


@cache
def render_revision() -> str:
    """A digest of the files that render pages (templates, static files, the project's
    code: name, size and modification time), so a deploy never serves pages of the
    previous release from a shared cache."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for folder in _REVISION_SOURCES:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                stat = path.stat()
                digest.update(
                    f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode()
                )
    return digest.hexdigest()[:16]


def row_state(row: Model) -> list[Any]:
    """Every column of ``row``: any change to it, by any path, makes a new key."""
    return [(field.attname, getattr(row, field.attname)) for field in row._meta.concrete_fields]


def viewer_facts(request: HttpRequest) -> list[Any]:
    """Who asks, as far as a page can show it: nothing for anonymous viewers (they share
    a page); for a signed-in viewer their account's columns, their CSRF secret and what
    the template context processors add."""
    user = request.user
    if not user.is_authenticated:
        return ["public"]
    # Every column but the password hash (changing it logs the session out anyway).
    account = [item for item in row_state(user) if item[0] != "password"]
    secret = request.META.get("CSRF_COOKIE")
    csrf = hashlib.sha256(secret.encode()).hexdigest() if secret else None
    return ["member", account, csrf, _processor_output(request)]


def _processor_output(request: HttpRequest) -> list[Any]:
    options: dict[str, Any] = settings.TEMPLATES[0]["OPTIONS"]  # type: ignore[assignment]
    names = options.get("context_processors", [])
    return [
        (name, import_string(name)(request)) for name in names if name not in _OBJECT_PROCESSORS
    ]


def page_key(
    request: HttpRequest,
    *,
    page: str,
    row: Model,
    variant: Iterable[Any] = (),
    viewer: Iterable[Any] = (),
    changed: Iterable[datetime | None] = (),
    timeless: bool = True,
    shared: bool = False,
) -> PageKey:
    """The key of ``page`` (a name) about ``row`` in ``variant``, for this viewer
    (``viewer``: facts their page shows besides ``viewer_facts``). ``changed``: when the
    things in the key last changed, for Last-Modified; ``timeless=False`` for pages that
    show the time (a countdown), which never send it. ``shared``: the content is the
    same for every viewer allowed to see it (API data), so no viewer goes into the key."""
    facts = ["public"] if shared else viewer_facts(request)
    parts = [page, render_revision(), row_state(row), list(variant), facts, list(viewer)]
    raw = json.dumps(parts, default=str, sort_keys=True).encode()
    digest = hashlib.sha256(raw).hexdigest()[:32]
    private = facts[0] != "public"
    moments = [moment for moment in changed if moment is not None]
    last = max(moments) if moments and timeless and not private else None
    return PageKey(digest, last if last and _settled(last) else None, private)


def _settled(moment: datetime) -> bool:
    """Whether a change is old enough to be named in Last-Modified. HTTP dates count
    whole seconds, and a change is stamped inside its transaction, before it commits;
    a change younger than that could share its second with the next one, and a client
    revalidating by date alone would keep the older page. ETags have no such limit."""
    return time.time() - moment.timestamp() >= settings.PAGE_CACHE_LAST_MODIFIED_SETTLE_SECONDS


def cached_page(
    request: HttpRequest, key: PageKey, render: Callable[[], HttpResponse]
) -> HttpResponse:
    """The page: 304 when the client holds it, else from the cache, else ``render()``
    (stored when it may be served again)."""
    if _has_pending_messages(request):
        return render()  # shown once, to this viewer: never cached, never a 304
    last_modified = int(key.last_modified.timestamp()) if key.last_modified else None
    not_modified = get_conditional_response(request, etag=key.etag, last_modified=last_modified)
    if not_modified is not None:
        return _with_validators(not_modified, key)
    stored = default_cache.get(key.cache_key) if settings.PAGE_CACHE_SECONDS else None
    if stored is not None:
        content_type, packed = stored
        response = HttpResponse(zlib.decompress(packed), content_type=content_type)
        if key.private:
            get_token(request)  # the page's forms use the token: keep renewing the cookie
        response[CACHE_HEADER] = "hit"
        return _with_validators(response, key)
    had_csrf_secret = "CSRF_COOKIE" in request.META
    response = render()
    if _storable(request, response, key, had_csrf_secret) and settings.PAGE_CACHE_SECONDS:
        # Compressed (a 150 KB board page keeps about a tenth of that), and a signed-in
        # reader's own page only briefly: there is one per reader and variant.
        packed = (response["Content-Type"], zlib.compress(response.content, 1))
        default_cache.set(key.cache_key, packed, _lifetime(key))
    response[CACHE_HEADER] = "miss"
    return _with_validators(response, key)


def _lifetime(key: PageKey) -> int:
    seconds: int = settings.PAGE_CACHE_SECONDS
    return min(seconds, settings.PAGE_CACHE_PRIVATE_SECONDS) if key.private else seconds


def _has_pending_messages(request: HttpRequest) -> bool:
    # len() loads the messages without marking them shown.
    return hasattr(request, "_messages") and len(get_messages(request)) > 0


def _storable(
    request: HttpRequest, response: HttpResponse, key: PageKey, had_csrf_secret: bool
) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    # A page with a CSRF token is stored only under the secret it was made from.
    used_csrf = bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))
    return not used_csrf or (key.private and had_csrf_secret)


def _with_validators(response: HttpResponse, key: PageKey) -> HttpResponse:
    if response.status_code not in (200, 304):
        return response
    response["ETag"] = key.etag
    if key.last_modified is not None:
        response["Last-Modified"] = http_date(key.last_modified.timestamp())
    # Revalidate every time (a 304 costs nothing); shared caches keep signed-in pages out.
    response["Cache-Control"] = "private, no-cache" if key.private else "no-cache"
    return response
