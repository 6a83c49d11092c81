"""Uploading a piece played in without the click, in a real browser: the studio writes it
out on the player's beat and says so; "Keep my file's timing" keeps it as it came."""

from __future__ import annotations

from typing import Any

import pytest

from chartbusters.studio.models import Composition
from music.midi_io import score_to_midi
from tests.browser.helpers import log_in
from tests.music.builders import performed, two_voices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def upload(page: Any, data: bytes, *, keep_timing: bool) -> None:
    page.get_by_role("tab", name="Upload MIDI").click()
    page.set_input_files("#upload-midi", files=[
        {"name": "played.mid", "mimeType": "audio/midi", "buffer": data}
    ])  # fmt: skip
    page.get_by_label("Keep my file's timing").set_checked(keep_timing)
    page.get_by_role("button", name="Upload and use").click()
    page.locator("#input-current").wait_for()


def test_a_played_in_upload_is_written_out_and_says_so(live_server: Any, page: Any) -> None:
    data = score_to_midi(performed(two_voices(1), 1, bpm=80, resolution=96))
    log_in(page, live_server.url, "pianist")

    upload(page, data, keep_timing=False)
    notice = page.locator("#input-notice")
    notice.wait_for()
    assert "written out on your own beat" in notice.inner_text()
    page.wait_for_function(
        "() => /\\b(7\\d|8\\d|9\\d) BPM/.test(document.querySelector('#input-meta').textContent)"
    )
    assert Composition.objects.get().tempo == pytest.approx(80, rel=0.15)

    upload(page, data, keep_timing=True)
    page.wait_for_function("() => document.querySelector('#input-notice').hidden")
    assert "120 BPM" in page.locator("#input-meta").inner_text()
    assert sorted(c.tempo for c in Composition.objects.all())[-1] == 120
