"""A title with a line break must not cost its owner their email (issue 14, item 12):
Django refuses a header with a newline (BadHeaderError), which dropped the message.
Titles with control characters are refused at the edge; the emails make any text that
is already stored safe for a subject line."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header
from io import BytesIO
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.core.errors import ApplicationError
from chartbusters.judging.results import leaderboard_publish_results
from chartbusters.leaderboards.tasks import notify_results_published
from chartbusters.submissions.models import Submission
from chartbusters.submissions.tasks import notify_submission_result
from tests.chartbusters.builders import enter, piece, report, score_with

pytestmark = pytest.mark.django_db

INJECTED = "Aria\r\nBcc: eve@example.com"
TITLES = [INJECTED, "Aria\nPart two", "Tab\there", "Bell\x07", "Line\u2028separator", "Esc\x1b[31m"]


def test_an_entry_whose_title_has_a_newline_is_still_notified(
    alice: User, challenge: Challenge
) -> None:
    entry = enter(alice, challenge)
    Submission.objects.filter(pk=entry.pk).update(title=INJECTED)  # stored before the check
    score_with(Submission.objects.get(pk=entry.pk), report(55.0))
    assert notify_submission_result.run(entry.pk)
    sent = mail.outbox[-1]
    assert sent.to == ["alice@example.com"]
    assert sent.bcc == []
    assert sent.subject == "Your entry “Aria Bcc: eve@example.com” is scored"
    message = sent.message()  # what the backend sends: no header of the title's making
    assert message["Bcc"] is None
    assert "\n" not in str(make_header(decode_header(message["Subject"])))


def test_results_are_announced_even_if_the_challenge_title_has_a_newline(
    alice: User, challenge: Challenge
) -> None:
    score_with(enter(alice, challenge), report(55.0))
    Challenge.objects.filter(pk=challenge.pk).update(
        title="Bach\nBcc: eve@example.com", ends_at=timezone.now() - timedelta(minutes=1)
    )
    challenge.refresh_from_db()
    leaderboard_publish_results(challenge=challenge)
    assert notify_results_published.run(challenge.pk) == 1
    assert mail.outbox[-1].message()["Subject"] == "Results of Bach Bcc: eve@example.com are out"


def upload() -> BytesIO:
    handle = BytesIO(piece(1))
    handle.name = "piece.mid"
    return handle


@pytest.mark.parametrize("title", TITLES)
def test_the_api_refuses_a_title_with_control_characters(
    api: APIClient, alice: User, challenge: Challenge, title: str
) -> None:
    api.force_authenticate(alice)
    body: dict[str, Any] = {"title": title, "technique": "upload", "file": upload()}
    response = api.post(f"/api/challenges/{challenge.slug}/submissions/", body,
                        format="multipart")  # fmt: skip
    assert response.status_code == 400
    assert "one line, without control characters" in response.content.decode()
    assert not Submission.objects.exists()


def test_the_entry_form_refuses_a_title_with_a_newline(
    client: Client, alice: User, challenge: Challenge
) -> None:
    client.force_login(alice)
    response = client.post(
        f"/submissions/enter/{challenge.slug}/",
        {"title": INJECTED, "technique": "upload", "file": upload()},
    )
    assert response.status_code == 200
    assert "one line, without control characters" in response.content.decode()
    assert not Submission.objects.exists()


def test_every_way_in_refuses_such_a_title(alice: User, challenge: Challenge) -> None:
    with pytest.raises(ApplicationError, match="one line, without control characters") as caught:
        enter(alice, challenge, title="Aria\nPart two")
    assert caught.value.status == 400
    assert not Submission.objects.exists()


def test_ordinary_titles_still_pass(api: APIClient, alice: User, challenge: Challenge) -> None:
    api.force_authenticate(alice)
    title = "Ária — “Zwei” 🎵 (final)"
    body: dict[str, Any] = {"title": title, "technique": "upload", "file": upload()}
    response = api.post(f"/api/challenges/{challenge.slug}/submissions/", body,
                        format="multipart")  # fmt: skip
    assert response.status_code == 201
    assert Submission.objects.get().title == title
