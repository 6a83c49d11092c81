"""Cached API reads: the data of a response kept under a ``pagecache.PageKey``, with its
ETag and 304s for JSON clients. The data is cached rather than the bytes, so the
browsable API (HTML with the viewer's name and forms) renders it per request; only JSON
answers carry validators, being the same bytes for everyone the key was made for."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from chartbusters.core.pagecache import CACHE_HEADER, PageKey


def cached_api_response(request: Request, key: PageKey, produce: Callable[[], Any]) -> Response:
    """``Response(produce())``, from the cache when it holds it; 304 when a JSON client
    already holds it."""
    validated = request.accepted_renderer.format == "json"
    last_modified = int(key.last_modified.timestamp()) if key.last_modified else None
    if validated and get_conditional_response(
        request._request, etag=key.etag, last_modified=last_modified
    ):
        return _with_validators(Response(status=status.HTTP_304_NOT_MODIFIED), key)
    data = cache.get(key.cache_key) if settings.PAGE_CACHE_SECONDS else None
    hit = data is not None
    if data is None:
        # Plain lists and dicts (the serializers' containers hold their serializers).
        data = json.loads(JSONRenderer().render(produce()))
        if settings.PAGE_CACHE_SECONDS:
            cache.set(key.cache_key, data, settings.PAGE_CACHE_SECONDS)
    response = Response(data, headers={CACHE_HEADER: "hit" if hit else "miss"})
    return _with_validators(response, key) if validated else response


def _with_validators(response: Response, key: PageKey) -> Response:
    response["ETag"] = key.etag
    if key.last_modified is not None:
        response["Last-Modified"] = http_date(key.last_modified.timestamp())
    response["Cache-Control"] = "private, no-cache" if key.private else "no-cache"
    return response
