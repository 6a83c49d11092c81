"""Hostile uploads: mutated MIDI files, lying sizes and path-like file names.

``bench/bench_fuzz.py`` runs the same generator over tens of thousands of files; this is
a fixed sample of a few hundred, through the real upload endpoint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import make_challenge, piece
from tests.chartbusters.conftest import PASSWORD
from tests.chartbusters.hardening.midi_mutations import hostile_files

pytestmark = pytest.mark.django_db
FUZZ_SAMPLE = 250


@pytest.fixture
def unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fuzz sample is one participant's burst; the throttles have their own tests."""
    rates = dict.fromkeys(["anon", "user", "submit"], "100000/hour")
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def named(data: bytes, name: str) -> BytesIO:
    handle = BytesIO(data)
    handle.name = name
    return handle


def post_entry(api: APIClient, challenge: Challenge, data: bytes, name: str = "x.mid") -> Any:
    return api.post(
        f"/api/challenges/{challenge.slug}/submissions/",
        {"title": "Fuzz", "technique": "upload", "file": named(data, name)},
        format="multipart",
    )


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_hostile_midi_files_get_a_clear_answer_and_never_a_server_error(
    alice: User, unthrottled: None, settings: Any
) -> None:
    challenge = make_challenge(daily_quota=FUZZ_SAMPLE, total_quota=FUZZ_SAMPLE)
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(alice)
    outcomes: Counter[str] = Counter()
    for mutations, data in hostile_files(FUZZ_SAMPLE, seed=10):
        response = post_entry(api, challenge, data)
        body = response.json()
        assert response.status_code in (201, 400, 413), (mutations, response.status_code, body)
        if response.status_code != 201:
            assert body["detail"], mutations
            assert body["code"], mutations
            outcomes[body["code"]] += 1
        else:
            outcomes["accepted"] += 1
    # Every accepted file, and nothing else, was stored.
    assert Submission.objects.count() == outcomes["accepted"]
    assert len(stored_files(Path(settings.MEDIA_ROOT))) == outcomes["accepted"]
    # The sample reaches deep into the validator, not just its first check.
    assert outcomes["accepted"] > 0
    assert len(outcomes) >= 8, outcomes


class DeclaredBody:
    """A request body that declares a size and counts how much of it the server reads."""

    def __init__(self, declared: int) -> None:
        self.boundary = "hostile-boundary"
        head = (
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="title"\r\n\r\nBig\r\n'
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="technique"\r\n\r\nupload\r\n'
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.mid"\r\n'
            "Content-Type: audio/midi\r\n\r\n"
        ).encode()
        self.declared = declared
        self.read_bytes = 0
        self._chunks = self._generate(head)
        self._buffer = b""

    def _generate(self, head: bytes) -> Iterator[bytes]:
        yield head
        left = self.declared - len(head)
        while left > 0:
            size = min(left, 64 * 1024)
            left -= size
            yield b"\0" * size

    def read(self, size: int = -1) -> bytes:
        want = self.declared if size is None or size < 0 else size
        while len(self._buffer) < want:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._buffer += chunk
        data, self._buffer = self._buffer[:want], self._buffer[want:]
        self.read_bytes += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


@pytest.mark.parametrize(
    "path", ["/api/challenges/{slug}/submissions/", "/submissions/enter/{slug}/"]
)
def test_an_oversized_upload_is_refused_before_its_body_is_read(
    alice: User, challenge: Challenge, path: str
) -> None:
    client = Client()
    client.force_login(alice)
    body = DeclaredBody(declared=64 * 1024 * 1024)
    environ: dict[str, Any] = {
        "wsgi.input": body,
        "CONTENT_LENGTH": str(body.declared),
        "CONTENT_TYPE": f"multipart/form-data; boundary={body.boundary}",
    }
    response = client.generic("POST", path.format(slug=challenge.slug), b"", **environ)
    assert response.status_code == 413, (response.status_code, body.read_bytes)
    assert "limit" in response.content.decode()
    assert body.read_bytes <= django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    assert not Submission.objects.exists()


def test_an_oversized_form_is_refused_with_a_page_in_the_site_layout(
    alice: User, challenge: Challenge
) -> None:
    client = Client()
    client.force_login(alice)
    body = DeclaredBody(declared=64 * 1024 * 1024)
    environ: dict[str, Any] = {
        "wsgi.input": body,
        "CONTENT_LENGTH": str(body.declared),
        "CONTENT_TYPE": f"multipart/form-data; boundary={body.boundary}",
        "HTTP_REFERER": f"http://testserver/submissions/enter/{challenge.slug}/",
    }
    response = client.generic("POST", f"/submissions/enter/{challenge.slug}/", b"", **environ)
    page = response.content.decode()
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert 'class="site-header"' in page
    assert f'href="http://testserver/submissions/enter/{challenge.slug}/"' in page


HOSTILE_NAMES = [
    "../../../../etc/passwd",
    "/etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "submissions/1/../../../../escape.mid",
    "nul\x00byte.mid",
    "<script>alert(1)</script>.mid",
    ".htaccess",
    "~/.bashrc",
    "a" * 400 + ".mid",
    "entry.mid",
]


def test_file_names_are_never_used_as_storage_paths(
    alice: User, unthrottled: None, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    challenge = make_challenge(daily_quota=50, total_quota=50)
    api = APIClient()
    api.force_authenticate(alice)
    for seed, name in enumerate(HOSTILE_NAMES):
        response = post_entry(api, challenge, piece(seed), name=name)
        assert response.status_code == 201, (name, response.json())
    for entry in Submission.objects.all():
        assert entry.midi.name == f"submissions/{challenge.pk}/{entry.uuid}.mid"
        assert Path(entry.midi.path).resolve().is_relative_to(settings.MEDIA_ROOT.resolve())
    assert {path.name for path in tmp_path.rglob("*") if path.is_file()} == {
        f"{entry.uuid}.mid" for entry in Submission.objects.all()
    }
    assert len(stored_files(settings.MEDIA_ROOT)) == len(HOSTILE_NAMES)


def test_the_form_ignores_the_file_name_too(alice: User, challenge: Challenge) -> None:
    client = Client()
    assert client.login(username="alice", password=PASSWORD)
    response = client.post(
        f"/submissions/enter/{challenge.slug}/",
        {"title": "Form", "technique": "upload", "file": named(piece(1), "../../x.mid")},
    )
    assert response.status_code == 302
    entry = Submission.objects.get()
    assert entry.midi.name == f"submissions/{challenge.pk}/{entry.uuid}.mid"
