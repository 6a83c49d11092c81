"""The entry form in a real browser (issue 20, items 6 and 8): a file that is too large is
a form error on the same page with the other fields kept; the technique offered for a file
is none until the participant says; compositions the challenge does not accept are shown,
disabled, with the reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import make_challenge
from tests.chartbusters.conftest import PASSWORD as USER_PASSWORD
from tests.chartbusters.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, base: str, username: str, next_url: str) -> None:
    make_user(username)
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", USER_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"**{next_url}")


def test_a_too_large_file_is_a_form_error_and_the_form_is_kept(live_server: Any, page: Any) -> None:
    challenge = make_challenge("big-files")
    url = f"/submissions/enter/{challenge.slug}/"
    log_in(page, live_server.url, "uploader", url)
    page.fill("#id_title", "My long piece")
    page.fill("#id_description", "It goes on.")
    too_large = b"MThd" + b"\0" * settings.MAX_REQUEST_BODY_BYTES
    page.set_input_files("#id_file", files=[
        {"name": "long.mid", "mimeType": "audio/midi", "buffer": too_large}
    ])  # fmt: skip
    page.get_by_role("button", name="Submit").click()

    error = page.locator(".field.has-error .error")
    error.wait_for()
    assert "the limit is" in error.inner_text()
    assert page.url == f"{live_server.url}{url}"
    assert page.input_value("#id_title") == "My long piece"
    assert page.input_value("#id_description") == "It goes on."
    assert not Submission.objects.exists()
