"""Playing in with a USB MIDI keyboard (issue 20): the studio's recorder takes notes from
the Web MIDI input chosen in its device picker, keeps their velocity, and lets the sustain
pedal (CC64) hold notes on after their keys come up. The browser's MIDI access is replaced
by a fake with two inputs whose messages the test sends."""

from __future__ import annotations

from typing import Any

import pytest

from chartbusters.studio import scores
from chartbusters.studio.models import Composition
from tests.browser.conftest import screenshot
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAKE_MIDI = """
(() => {
  class FakeInput extends EventTarget {
    constructor(id, name) {
      super();
      Object.assign(this, { id, name, manufacturer: "Test", type: "input", state: "connected" });
    }
  }
  const inputs = new Map([["keys-a", new FakeInput("keys-a", "Fake Keys A")],
                          ["keys-b", new FakeInput("keys-b", "Fake Keys B")]]);
  const access = { inputs, outputs: new Map(), sysexEnabled: false, onstatechange: null };
  Object.defineProperty(navigator, "requestMIDIAccess", {
    configurable: true, value: () => Promise.resolve(access),
  });
  window.fakeMidi = {
    send(id, bytes) {
      const event = new Event("midimessage");
      Object.defineProperty(event, "data", { value: new Uint8Array(bytes) });
      inputs.get(id).dispatchEvent(event);
    },
    unplug(id) {
      const port = inputs.get(id);
      port.state = "disconnected";
      inputs.delete(id);
      access.onstatechange?.({ port });
    },
  };
})();
"""

# Played on "Fake Keys B": C (velocity 100) alone; then, with the pedal down, E
# (velocity 40) let go before G (velocity 127, ended by a note on at velocity 0) starts;
# the pedal lifts last. A note from "Fake Keys A", not chosen, must not be recorded.
PERFORMANCE = """
async () => {
  const wait = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
  const play = (bytes) => window.fakeMidi.send("keys-b", bytes);
  play([0x90, 60, 100]); await wait(200); play([0x80, 60, 0]);
  await wait(100);
  play([0xb0, 64, 127]);
  play([0x91, 64, 40]); await wait(200); play([0x81, 64, 0]);
  await wait(150);
  play([0x90, 67, 127]); await wait(200); play([0x90, 67, 0]);
  await wait(150);
  window.fakeMidi.send("keys-a", [0x90, 72, 90]);
  window.fakeMidi.send("keys-a", [0x80, 72, 0]);
  play([0xb0, 64, 0]);
}
"""


def test_a_midi_keyboard_records_velocity_and_the_sustain_pedal(
    live_server: Any, page: Any
) -> None:
    page.context.add_init_script(FAKE_MIDI)
    log_in(page, live_server.url, "keyboardist")
    page.get_by_role("tab", name="Play it in").click()
    page.get_by_role("button", name="Connect a MIDI keyboard").click()
    picker = page.get_by_label("MIDI keyboard", exact=True)
    picker.wait_for()
    options = picker.locator("option").all_inner_texts()
    assert options == ["Fake Keys A", "Fake Keys B"]
    picker.select_option(label="Fake Keys B")
    assert "Fake Keys B" in page.locator("[data-midi=status]").inner_text()
    screenshot(page.locator("#pane-record"), "studio-midi-keyboard")

    page.select_option("#rec-count-in", "0")
    page.select_option("#rec-quantise", "0")
    page.locator("[data-rec=metronome]").uncheck()
    page.get_by_role("button", name="● Record").click()
    page.wait_for_function("() => document.querySelector('[data-rec=position]')"
                           ".textContent.startsWith('Bar')")  # fmt: skip
    page.evaluate(PERFORMANCE)
    page.get_by_role("button", name="■ Stop").click()
    assert page.locator("[data-rec=count]").inner_text() == "3 notes"

    page.get_by_role("button", name="Use recording").click()
    page.locator("#input-current").wait_for()
    recording = Composition.objects.get()
    assert recording.kind == "recording"
    with recording.midi.open("rb") as handle:  # what the server stored, as MIDI
        stored = scores.score_from_stored_midi(handle.read())
    c, e, g = sorted((n for t in stored.tracks for n in t.notes), key=lambda n: n.start)
    assert [(n.pitch, n.velocity) for n in (c, e, g)] == [(60, 100), (64, 40), (67, 127)]
    assert c.end <= e.start  # no pedal: C ended when its key came up
    assert e.end > g.start  # the pedal held E on after its key came up, into G
    assert abs(e.end - g.end) <= 2  # both ended when the pedal lifted

    # Unplugged, the keyboard leaves the picker, and the one still there is played from.
    page.get_by_role("tab", name="Play it in").click()
    page.evaluate("window.fakeMidi.unplug('keys-b')")
    assert picker.locator("option").all_inner_texts() == ["Fake Keys A"]
    assert "Fake Keys A" in page.locator("[data-midi=status]").inner_text()
