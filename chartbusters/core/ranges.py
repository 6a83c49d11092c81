"""HTTP byte ranges (RFC 9110, section 14) for files that views serve, so a browser's
audio player can seek without downloading the whole file first.

``ranged_file_response(request, file, content_type=...)`` answers a GET with:

- 206 Partial Content and ``Content-Range: bytes first-last/size`` for one satisfiable
  range (``bytes=0-99``, ``bytes=100-``, ``bytes=-100``; a last byte past the end is cut
  to the end);
- 416 Range Not Satisfiable and ``Content-Range: bytes */size`` for one well-formed range
  that starts past the end (or an empty suffix), with the project's error body;
- 200 with the whole file otherwise: no ``Range``, a malformed one, another unit, several
  ranges, or an ``If-Range`` (the responses carry no validator it could match, so the
  RFC's answer is the whole file).

Every answer says ``Accept-Ranges: bytes``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.files.base import File
from django.http import FileResponse, HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

CHUNK = 64 * 1024


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``first`` to ``last`` of a file, both included."""

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1


class RangeNotSatisfiable(Exception):
    """A well-formed range that selects no byte of the file."""


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range ``header`` asks for in a file of ``size`` bytes, or None to send the
    whole file (no header, a malformed one, another unit, several ranges). Raises
    :class:`RangeNotSatisfiable` for a well-formed range that selects nothing."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    first_text, last_text = first_text.strip(), last_text.strip()
    if not dash:
        return None
    if not first_text:  # a suffix: the last N bytes
        if not _digits(last_text):
            return None
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    if not _digits(first_text) or (last_text and not _digits(last_text)):
        return None
    first = int(first_text)
    last = int(last_text) if last_text else None
    if last is not None and last < first:
        return None  # invalid: the RFC says to ignore the header
    if first >= size:
        raise RangeNotSatisfiable
    return ByteRange(first, size - 1 if last is None else min(last, size - 1))


class _FilePart:
    """Streams ``length`` bytes of an open file; closing it closes the file, even if
    the response is dropped before the first chunk."""

    def __init__(self, file: File, part: ByteRange) -> None:
        self.file = file
        self.remaining = part.length
        file.seek(part.first)

    def __iter__(self) -> Iterator[bytes]:
        while self.remaining > 0:
            chunk = self.file.read(min(CHUNK, self.remaining))
            if not chunk:
                break
            self.remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        self.file.close()


def ranged_file_response(
    request: HttpRequest, file: File, *, content_type: str, size: int | None = None
) -> HttpResponseBase:
    """Serve ``file`` (open, binary, seekable; this closes it) honouring one byte range.
    ``size`` defaults to the file's length, found by seeking to its end."""
    if size is None:
        size = file.seek(0, 2)
        file.seek(0)
    try:
        part = (
            None
            if "If-Range" in request.headers
            else parse_range(request.headers.get("Range"), size)
        )
    except RangeNotSatisfiable:
        file.close()
        response: HttpResponseBase = JsonResponse(
            {
                "detail": f"The range asked for is outside the file ({size} bytes).",
                "code": "range_not_satisfiable",
            },
            status=416,
        )
        response["Content-Range"] = f"bytes */{size}"
    else:
        if part is None:
            response = FileResponse(file, content_type=content_type)
        else:
            response = StreamingHttpResponse(_FilePart(file, part), content_type=content_type)
            response.status_code = 206
            response["Content-Range"] = f"bytes {part.first}-{part.last}/{size}"
            response["Content-Length"] = str(part.length)
    response["Accept-Ranges"] = "bytes"
    return response
