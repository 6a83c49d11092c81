"""Small helpers shared by the competition's server-rendered pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from chartbusters.core.errors import ApplicationError

View = Callable[..., HttpResponse]


def access_errors_as_http(view: View) -> View:
    """Turn the access helpers' 404/403 ApplicationErrors into Django's pages."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as exc:
            if exc.status == 404:
                raise Http404(exc.message) from None
            if exc.status == 403:
                raise PermissionDenied(exc.message) from None
            raise

    return wrapper
