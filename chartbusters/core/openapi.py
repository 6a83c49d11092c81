"""The OpenAPI schema's error responses, documented once for every operation.

Every API error has one shape (``core.api_errors``): ``{"detail", "code"}``, plus
``fields`` for invalid input and ``extra`` where an error carries data. drf-spectacular
documents only the success responses of each view; this hook adds the errors, so that
clients (and schemathesis's conformance checks) know what a 4xx looks like.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "code": {"type": "string", "description": "What went wrong, for programs."},
        "fields": {"type": "object", "description": "Invalid input: messages per field."},
        "extra": {"description": "Data some errors carry."},
    },
    "required": ["detail"],
}
ERROR_RESPONSES = {
    "400": "The input is not valid (the message says why).",
    "401": "Authentication is needed, or the token is not valid.",
    "403": "Not allowed (for example, a hidden leaderboard or a host-only action).",
    "404": "No such object, or not one this user may see.",
    "429": "Too many requests; retry after the time in Retry-After.",
    "default": "Any other error (409 conflict, 413 body too large), in the same shape.",
}


def document_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the error responses on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_RESPONSES.items():
                responses.setdefault(status, {"description": description, "content": body})
    return result


def paginated(serializer: type[serializers.Serializer[Any]]) -> serializers.Serializer[Any]:
    """The schema of a page of ``serializer`` rows, as PageNumberPagination answers, for
    views that paginate by hand (an APIView's schema cannot know it paginates)."""
    name = serializer.__name__.removesuffix("Output")
    return inline_serializer(
        name=f"Paginated{name}List",
        fields={
            "count": serializers.IntegerField(help_text="Rows in all."),
            "next": serializers.URLField(allow_null=True, help_text="The next page."),
            "previous": serializers.URLField(allow_null=True, help_text="The previous page."),
            "results": serializer(many=True),
        },
    )
