"""Instrument per track in the studio (issue 20): the result and the note editor have a
General MIDI picker for each pitched track; a choice is saved with the composition, whose
audio is rendered again with it."""

from __future__ import annotations

from typing import Any

import pytest

from chartbusters.studio.models import AudioState, Composition
from music.instruments import program_name
from music.midi_io import score_from_midi
from tests.browser.conftest import screenshot
from tests.browser.helpers import generate, log_in, result_composition

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

VIOLIN, FLUTE = 40, 73


def programs_of(composition: Composition) -> list[int]:
    with composition.midi.open("rb") as handle:
        return [t.program for t in score_from_midi(handle.read()).tracks if not t.is_drum]


def test_each_track_gets_an_instrument_in_the_result_and_the_editor(
    live_server: Any, page: Any, worker: None
) -> None:
    log_in(page, live_server.url, "orchestrator")
    page.locator(".sample-card [data-action=use]").first.click()
    page.locator("#input-current").wait_for()
    generate(page, "gan")
    result = result_composition(page)
    before = programs_of(result)
    assert len(before) >= 2  # the GAN accompanies the melody

    pickers = page.get_by_role("group", name="Instruments").locator("select")
    assert pickers.count() == len(before)
    first = pickers.first
    assert first.locator("option:checked").inner_text() == program_name(before[0])
    page.wait_for_function("() => !document.querySelector('[data-res=audio]').hidden",
                           timeout=60_000)  # fmt: skip
    first.select_option(label="Violin")
    page.wait_for_function(
        "() => document.querySelector('[data-res=instruments-note]').textContent"
        ".startsWith('Saved')"
    )
    result.refresh_from_db()
    assert programs_of(result) == [VIOLIN, *before[1:]]
    # The audio is rendered again, and the player gets it back.
    page.wait_for_function("() => !document.querySelector('[data-res=audio]').hidden",
                           timeout=60_000)  # fmt: skip
    result.refresh_from_db()
    assert result.audio_state == AudioState.READY
    screenshot(page.locator("#result"), "studio-instruments")

    # Chained on as input, the editor shows the violin and saves its own choice.
    page.get_by_role("button", name="Use as input").click()
    page.get_by_role("button", name="Edit notes").click()
    editor = page.locator("#editor").get_by_role("group", name="Instruments").locator("select")
    assert editor.first.locator("option:checked").inner_text() == "Violin"
    editor.first.select_option(label="Flute")
    page.get_by_role("button", name="Save as new input").click()
    page.wait_for_function("() => document.querySelector('#input-title').textContent"
                           ".endsWith('(edited)')")  # fmt: skip
    edited = Composition.objects.get(parent=result)
    assert programs_of(edited) == [FLUTE, *before[1:]]
