"""The studio in a real browser (issue 9): a new participant signs up, generates with every
technique from a sample melody, listens, downloads, chains, enters a challenge and finds the
entry scored on the leaderboard; a host sets a challenge up in the admin."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import mido
import pytest
from django.core import mail
from django.utils import timezone

from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.studio.models import Composition, GenerationJob
from chartbusters.submissions.models import Submission
from chartbusters.submissions.states import SubmissionState
from tests.browser.conftest import PASSWORD, assert_clean, new_page, screenshot
from tests.browser.helpers import generate, log_in, result_composition
from tests.chartbusters.builders import make_challenge
from tests.chartbusters.conftest import PASSWORD as USER_PASSWORD
from tests.chartbusters.conftest import make_user
from tests.chartbusters.helpers import link_in
from tests.worker import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_up(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.com")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    # The live server runs in this process: its emails land in the test outbox.
    message = next(m for m in reversed(mail.outbox) if m.to == [f"{username}@example.com"])
    page.goto(base + link_in(message))
    page.get_by_text(f"{username}@example.com is confirmed").wait_for()
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def assert_audio_plays(page: Any) -> None:
    """The result's <audio> loaded a real Ogg file and plays."""
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-res=audio]');"
        " return a.readyState >= 2 && a.duration > 0; }",
        timeout=60_000,
    )
    source = page.eval_on_selector("[data-res=audio]", "a => a.currentSrc")
    response = page.request.get(source)
    assert response.ok
    assert response.headers["content-type"] == "audio/ogg"
    assert response.body()[:4] == b"OggS"
    page.eval_on_selector("[data-res=audio]", "a => a.play()")
    page.wait_for_function("() => document.querySelector('[data-res=audio]').currentTime > 0")
    page.eval_on_selector("[data-res=audio]", "a => a.pause()")


@pytest.mark.worker
def test_a_new_participant_generates_chains_and_enters_the_charts(
    live_server: Any, page: Any, worker: None
) -> None:
    challenge = make_challenge(
        "studio-sessions", title="Studio Sessions", evaluation_profile="bach-chorales"
    )
    base = live_server.url
    sign_up(page, base, "newcomer")

    page.goto(f"{base}/studio/")
    gallery = page.locator(".sample-card")
    assert gallery.count() == 20
    first = gallery.first
    title = first.locator(".sample-title").inner_text()
    play = first.get_by_role("button", name=f"Play {title}")
    play.click()
    assert play.get_attribute("aria-pressed") == "true"
    page.wait_for_function(  # the melody's audio is rendered by the worker on first use
        "() => { const a = document.querySelector('#sample-audio');"
        " return a.readyState >= 2 && a.duration > 0 && a.currentTime > 0; }",
        timeout=60_000,
    )
    screenshot(page, "studio-gallery")
    play.click()
    assert play.get_attribute("aria-pressed") == "false"

    first.get_by_role("button", name=f"Use {title} as input").click()
    page.locator("#input-current").wait_for()
    assert page.locator("#input-title").inner_text() == title

    # Every technique on the sample melody.
    results = {}
    for technique in ("arcnn", "transformer", "gan"):
        generate(page, technique)
        results[technique] = result_composition(page)
        assert results[technique].technique == technique
        assert results[technique].input.title == title  # type: ignore[union-attr]
        assert page.locator("[data-res=legend] .legend-item").count() >= 1
    assert page.locator("[data-res=legend] .legend-item").count() == 4  # melody + 3 voices
    assert_audio_plays(page)
    screenshot(page.locator("#techniques-section"), "studio-techniques")
    screenshot(page.locator("#result"), "studio-result")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download MIDI").click()
    midi = mido.MidiFile(file=io.BytesIO(download.value.path().read_bytes()))
    assert sum(1 for track in midi.tracks for m in track if m.type == "note_on") > 0

    # Chain: the GAN's result becomes the Transformer's input.
    page.get_by_role("button", name="Use as input").click()
    assert page.locator("#input-chain").inner_text() == f"{title} → GAN accompaniment"
    generate(page, "transformer")
    chained = result_composition(page)
    assert chained.input == results["gan"]
    assert page.locator("[data-res=chain]").inner_text() == (
        f"{title} → GAN accompaniment → Transformer"
    )
    assert_audio_plays(page)

    # Enter the chained piece.
    page.get_by_role("button", name="Submit to challenge").click()
    dialog = page.get_by_role("dialog", name="Submit to a challenge")
    dialog.get_by_label("Challenge").select_option("studio-sessions")
    dialog.get_by_label("Title").fill("Twice removed")
    dialog.get_by_label("Description").fill("A melody, accompanied, then extended.")
    screenshot(page, "studio-submit")
    dialog.get_by_role("button", name="Submit", exact=True).click()
    dialog.get_by_text("Submitted to Studio Sessions").wait_for()
    entry = Submission.objects.get(challenge=challenge)
    assert entry.title == "Twice removed"
    assert entry.technique == "transformer"
    assert (entry.provenance or {}).get("composition") == str(chained.uuid)
    dialog.get_by_role("button", name="Close").click()

    def settled() -> bool:
        entry.refresh_from_db()
        return entry.state in (SubmissionState.SCORED, SubmissionState.REJECTED) or bool(
            entry.failure_reason
        )

    assert wait_until(settled, timeout=150), "the entry was never scored"
    assert entry.state == SubmissionState.SCORED, entry.failure_reason or entry.state
    page.goto(f"{base}/challenges/{challenge.slug}/")
    row = page.locator("table tr", has_text="Twice removed")
    row.wait_for()
    assert "newcomer" in row.inner_text()
    screenshot(page, "challenge-leaderboard", full_page=True)


def test_a_host_creates_a_challenge_in_the_admin(live_server: Any, page: Any) -> None:
    make_user("hosty", role="host")
    page.goto(f"{live_server.url}/admin/login/?next=/admin/challenges/challenge/add/")
    page.fill("#id_username", "hosty")
    page.fill("#id_password", USER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    start = timezone.now() + timedelta(days=1)
    end = start + timedelta(days=14)
    page.fill("#id_title", "Spring Canons")
    page.fill("#id_description", "Write a canon for spring.")
    assert page.input_value("#id_slug") == "spring-canons"  # prepopulated from the title
    page.fill("#id_starts_at_0", start.strftime("%Y-%m-%d"))
    page.fill("#id_starts_at_1", "09:00:00")
    page.fill("#id_ends_at_0", end.strftime("%Y-%m-%d"))
    page.fill("#id_ends_at_1", "09:00:00")
    for technique in ("gan", "transformer"):
        page.locator(f"input[name=allowed_techniques][value={technique}]").check()
    screenshot(page, "admin-challenge", full_page=True)
    page.locator("input[name=_save]").click()
    page.locator(".messagelist .success").wait_for()
    challenge = Challenge.objects.get(slug="spring-canons")
    assert challenge.status == ChallengeStatus.DRAFT
    assert challenge.allowed_techniques == ["gan", "transformer"]
    assert challenge.created_by.username == "hosty"  # type: ignore[union-attr]


def test_record_edit_and_upload_on_a_phone_sized_screen(live_server: Any, browser: Any) -> None:
    page = new_page(browser, width=390, height=844)
    base = live_server.url
    log_in(page, base, "pianist")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A file that is not MIDI gets the validator's message, plainly.
    page.get_by_role("tab", name="Upload MIDI").click()
    page.set_input_files("#upload-midi", files=[
        {"name": "song.mid", "mimeType": "audio/midi", "buffer": b"not a midi file"}
    ])  # fmt: skip
    page.get_by_role("button", name="Upload and use").click()
    error = page.locator("#upload-error")
    error.wait_for()
    page.wait_for_function("() => document.querySelector('#upload-error').textContent.length > 0")
    assert "MIDI" in error.inner_text()
    assert not Composition.objects.exists()

    # Play three notes on the computer keyboard, quantised, with no count-in.
    page.get_by_role("tab", name="Play it in").click()
    assert page.get_by_text("Computer keys").is_visible()
    page.select_option("#rec-count-in", "0")
    page.fill("#rec-tempo", "120")
    page.get_by_role("button", name="● Record").click()
    for key in ("a", "d", "g"):  # C, E, G
        page.keyboard.down(key)
        page.wait_for_timeout(200)
        page.keyboard.up(key)
    page.get_by_role("button", name="■ Stop").click()
    assert page.locator("[data-rec=count]").inner_text() == "3 notes"
    screenshot(page.locator("#pane-record"), "studio-recorder-phone")
    page.get_by_role("button", name="Use recording").click()
    page.locator("#input-current").wait_for()
    recording = Composition.objects.get()
    assert recording.kind == "recording"
    pitches = [note[0] for track in recording.roll["tracks"] for note in track["notes"]]
    assert pitches == [60, 64, 67]

    # A parameter out of range is refused before anything is queued, next to the control.
    page.get_by_role("tab", name="AR-CNN (Bach)").click()
    risk = page.locator("#panel-arcnn [data-param=creative_risk]")
    assert "Range 0.5–6 · default 1" in risk.inner_text()
    risk.locator("input[type=number]").fill("9")
    page.get_by_role("button", name="Generate").click()
    risk.locator(".param-error").wait_for()
    assert "Creative risk must be between 0.5 and 6, not 9." in risk.inner_text()
    assert page.locator("#job").get_attribute("data-state") == "failed"
    assert not GenerationJob.objects.exists()

    # Edit with the keyboard alone: select the first note and delete it, add one a step up.
    page.get_by_role("button", name="Edit notes").click()
    editor = page.locator("[data-ed=canvas]")
    editor.focus()
    page.keyboard.press("Enter")  # selects the C under the cursor
    page.keyboard.press("Delete")
    page.keyboard.press("ArrowUp")  # cursor to C sharp
    page.keyboard.press("ArrowUp")  # D
    page.keyboard.press("Enter")  # adds a D
    page.keyboard.press("Shift+ArrowRight")  # moves it a sixteenth later
    assert "Note editor, 3 notes" in (editor.get_attribute("aria-label") or "")
    screenshot(page.locator("#input-current"), "studio-editor-phone")
    page.get_by_role("button", name="Save as new input").click()
    page.wait_for_function(
        "() => document.querySelector('#input-meta').textContent.startsWith('edit')"
    )
    edited = Composition.objects.get(kind="edit")
    assert edited.parent == recording
    notes = sorted(tuple(n[:2]) for t in edited.roll["tracks"] for n in t["notes"])
    tick = edited.roll["ticks_per_beat"] // 4
    assert [pitch for pitch, _ in notes] == [62, 64, 67]
    assert notes[0][1] == tick
    assert_clean(page)
    page.context.close()
