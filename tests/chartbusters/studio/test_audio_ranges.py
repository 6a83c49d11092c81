"""Players seek with byte ranges: both audio endpoints answer Range requests."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from chartbusters.studio import scores
from chartbusters.studio.models import AudioState, Composition
from tests.chartbusters.studio.helpers import SAMPLE

pytestmark = pytest.mark.django_db
AUDIO = b"OggS" + bytes(range(256)) * 40  # 10244 bytes, each offset recognisable


@pytest.fixture
def rendered(sample_input: Composition) -> str:
    sample_input.audio.save("a.ogg", ContentFile(AUDIO), save=False)
    sample_input.audio_state = AudioState.READY
    sample_input.save()
    return f"/api/studio/compositions/{sample_input.uuid}/audio"


@pytest.fixture
def sample_audio() -> str:
    default_storage.save(scores.sample_audio_name(SAMPLE), ContentFile(AUDIO))
    return f"/api/studio/samples/{SAMPLE}/audio"


def content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_the_whole_file_says_ranges_are_accepted(as_alice: APIClient, rendered: str) -> None:
    response = as_alice.get(rendered)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(AUDIO))
    assert content(response) == AUDIO


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-3", 0, 3), ("bytes=5000-", 5000, len(AUDIO) - 1), ("bytes=-100", len(AUDIO) - 100,
     len(AUDIO) - 1), ("bytes=10000-99999", 10000, len(AUDIO) - 1)],
)  # fmt: skip
def test_a_composition_audio_range_is_a_206_with_those_bytes(
    as_alice: APIClient, rendered: str, header: str, first: int, last: int
) -> None:
    response = as_alice.get(rendered, HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(AUDIO)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Type"] == "audio/ogg"
    assert response["Accept-Ranges"] == "bytes"
    assert content(response) == AUDIO[first : last + 1]


def test_a_range_past_the_end_is_a_416(as_alice: APIClient, rendered: str) -> None:
    response = as_alice.get(rendered, HTTP_RANGE=f"bytes={len(AUDIO)}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(AUDIO)}"
    assert "outside the file" in response.json()["detail"]


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "bytes=9-5", "lines=1-2", "nonsense"])
def test_ranges_we_do_not_serve_get_the_whole_file(
    as_alice: APIClient, rendered: str, header: str
) -> None:
    response = as_alice.get(rendered, HTTP_RANGE=header)
    assert response.status_code == 200
    assert content(response) == AUDIO


def test_a_range_reveals_nothing_to_others(as_bob: APIClient, rendered: str) -> None:
    assert as_bob.get(rendered, HTTP_RANGE="bytes=0-3").status_code == 404


def test_audio_not_rendered_yet_is_still_a_404_with_a_range(
    as_alice: APIClient, sample_input: Composition
) -> None:
    url = f"/api/studio/compositions/{sample_input.uuid}/audio"
    response = as_alice.get(url, HTTP_RANGE="bytes=0-3")
    assert response.status_code == 404
    assert response.json()["detail"] == "The audio is not ready."


def test_a_sample_audio_range_is_a_206_and_keeps_its_cache_header(
    api: APIClient, sample_audio: str
) -> None:
    whole = api.get(sample_audio)
    assert (whole.status_code, whole["Accept-Ranges"]) == (200, "bytes")
    response = api.get(sample_audio, HTTP_RANGE="bytes=4-7")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 4-7/{len(AUDIO)}"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert content(response) == AUDIO[4:8]
    assert api.get(sample_audio, HTTP_RANGE="bytes=-0").status_code == 416
