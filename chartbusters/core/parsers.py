"""JSON from clients, bounded in size and nesting before Python's parser sees it.

``json.loads`` recurses once per level of nesting: a body of 100,000 ``[`` exhausts the
interpreter's stack (RecursionError, a 500 on every JSON endpoint), and even 500 levels,
which the parser survives, crash the code that walks the value next. No request of ours
nests more than a handful of levels (a roll is object > tracks > track > notes > note), so
anything deeper is refused with a message, as is a body above the size limit.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from itertools import accumulate
from typing import IO, Any

from django.conf import settings
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

# A JSON string, escapes included, written so that the regex engine never backtracks.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JsonInputError(ValueError):
    """JSON that is refused before parsing: ``message`` says why, for the client."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.too_large = too_large


class JsonTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text``, brackets inside strings not counted.

    Runs in C (regex, ``accumulate``), so a 2 MB body costs milliseconds, not a stack.
    """
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def loads_bounded(text: str | bytes, *, strict: bool = True) -> Any:
    """``json.loads`` of at most ``API_JSON_MAX_BYTES`` nested at most ``API_JSON_MAX_DEPTH``
    levels, or JsonInputError (a ValueError) saying which limit the text breaks.

    ``strict`` refuses NaN and Infinity, which are not JSON (as DRF's parser does).
    """
    size = len(text) if isinstance(text, bytes) else len(text.encode())
    _check_size(size)
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    deepest, allowed = nesting_depth(text), settings.API_JSON_MAX_DEPTH
    if deepest > allowed:
        raise JsonInputError(
            f"The JSON is nested {deepest} levels deep; the limit is {allowed} levels."
        )
    return json.loads(text, parse_constant=_refuse_constant if strict else None)


def _check_size(size: int) -> None:
    limit = settings.API_JSON_MAX_BYTES
    if size > limit:
        raise JsonInputError(
            f"The JSON is {size // 1024} KB; the limit is {limit // 1024} KB.", too_large=True
        )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number.")


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the size and depth limits of :func:`loads_bounded`."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        # Read one byte past the limit: enough to know the body is too large, no more.
        raw = stream.read(settings.API_JSON_MAX_BYTES + 1) if stream is not None else b""
        try:
            _check_size(len(raw))
            return loads_bounded(codecs.decode(raw, encoding), strict=self.strict)
        except JsonInputError as exc:
            if exc.too_large:
                raise JsonTooLarge(exc.message) from None
            raise ParseError(exc.message) from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ParseError(f"JSON parse error: {exc}") from None


class BoundedJSONField(serializers.JSONField):
    """A JSON field whose text (``binary=True``: a form field holding JSON) is parsed with
    :func:`loads_bounded`, so a hostile value is a field error, not a 500."""

    def to_internal_value(self, data: Any) -> Any:
        if self.binary or getattr(data, "is_json_string", False):
            try:
                return loads_bounded(data.decode() if isinstance(data, bytes) else str(data))
            except JsonInputError as exc:
                raise serializers.ValidationError(exc.message) from None
            except ValueError:
                self.fail("invalid")
        return super().to_internal_value(data)
