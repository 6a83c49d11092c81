"""Maps errors to API responses in one place."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from chartbusters.core.errors import ApplicationError


def _django_validation_message(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "message_dict"):
        return exc.message_dict
    return exc.messages


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error is ``{"detail": message, "code": code}`` (plus ``fields`` if any)."""
    if isinstance(exc, ApplicationError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.extra is not None:
            body["extra"] = exc.extra
        return Response(body, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_message(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": "Some fields are not valid.",
            "code": "invalid",
            "fields": response.data,
        }
    elif isinstance(exc, exceptions.APIException) and isinstance(response.data, dict):
        response.data.setdefault(
            "code", exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        )
    return response
