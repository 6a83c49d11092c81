"""Byte ranges (RFC 9110 section 14): the parser, and the response a view returns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile, File
from django.test import RequestFactory

from chartbusters.core.ranges import (
    ByteRange,
    RangeNotSatisfiable,
    parse_range,
    ranged_file_response,
)

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=100-", ByteRange(100, 999)),
        ("bytes=-100", ByteRange(900, 999)),
        ("bytes=-5000", ByteRange(0, 999)),  # a suffix longer than the file: all of it
        ("bytes=990-5000", ByteRange(990, 999)),  # cut to the end
        ("bytes=999-999", ByteRange(999, 999)),
        ("Bytes = 5-9 ", ByteRange(5, 9)),  # the unit is case-insensitive
    ],
)
def test_a_single_range_selects_those_bytes(header: str, expected: ByteRange) -> None:
    assert parse_range(header, SIZE) == expected


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "bytes=",
        "bytes=-",
        "bytes=abc-",
        "bytes=5",
        "bytes=9-5",  # last before first: invalid, so ignored
        "bytes=0-1,5-9",  # several ranges: we send the whole file
        "items=0-5",
        "bytes=+1-5",
        "bytes=0x10-",
        "bytes=١-٢",  # non-ASCII digits
    ],
)
def test_anything_else_means_the_whole_file(header: str | None) -> None:
    assert parse_range(header, SIZE) is None


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=1000-", SIZE), ("bytes=5000-6000", SIZE), ("bytes=-0", SIZE),
                         ("bytes=0-", 0), ("bytes=-10", 0)],
)  # fmt: skip
def test_a_range_past_the_end_is_not_satisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, size)


DATA = bytes(range(256)) * 4  # 1024 bytes, each position recognisable


def respond(**headers: str) -> Any:
    request = RequestFactory().get("/file", headers=headers)
    return ranged_file_response(request, ContentFile(DATA), content_type="audio/ogg")


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_the_whole_file_without_a_range() -> None:
    response = respond()
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(DATA))
    assert body(response) == DATA


def test_one_range_is_a_206_with_its_bytes() -> None:
    response = respond(Range="bytes=100-299")
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 100-299/1024"
    assert response["Content-Length"] == "200"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "audio/ogg"
    assert body(response) == DATA[100:300]


def test_a_large_range_streams_in_chunks_to_the_end() -> None:
    data = bytes(200_000)
    request = RequestFactory().get("/file", headers={"Range": "bytes=1-"})
    response: Any = ranged_file_response(request, ContentFile(data), content_type="audio/ogg")
    chunks = list(response.streaming_content)
    assert len(chunks) > 1
    assert b"".join(chunks) == data[1:]


def test_a_range_past_the_end_is_a_416_with_the_size() -> None:
    response = respond(Range="bytes=2000-")
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */1024"
    assert json.loads(response.content)["code"] == "range_not_satisfiable"


def test_several_ranges_or_an_if_range_get_the_whole_file() -> None:
    assert respond(Range="bytes=0-1,4-5").status_code == 200
    assert respond(Range="bytes=0-1", **{"If-Range": '"abc"'}).status_code == 200


@pytest.mark.django_db  # closing a response sends request_finished, which closes connections
def test_the_file_is_closed_even_if_the_body_is_never_read(tmp_path: Path) -> None:
    (tmp_path / "a.ogg").write_bytes(DATA)
    file = File((tmp_path / "a.ogg").open("rb"))
    request = RequestFactory().get("/file", headers={"Range": "bytes=0-9"})
    response = ranged_file_response(request, file, content_type="audio/ogg")
    response.close()
    assert file.closed
