// MIDI messages as the recorder reads them (static/js/studio/midi-input.js). Run: node --test tests/js
import assert from "node:assert/strict";
import { test } from "node:test";

import { parseMidiMessage } from "../../static/js/studio/midi-input.js";

test("a note on keeps its velocity, on any channel", () => {
  assert.deepEqual(parseMidiMessage([0x90, 60, 100]), { type: "noteon", pitch: 60, velocity: 100 });
  assert.deepEqual(parseMidiMessage([0x9f, 21, 1]), { type: "noteon", pitch: 21, velocity: 1 });
});

test("a note off, or a note on at velocity 0, ends the note", () => {
  assert.deepEqual(parseMidiMessage([0x80, 60, 64]), { type: "noteoff", pitch: 60 });
  assert.deepEqual(parseMidiMessage([0x93, 60, 0]), { type: "noteoff", pitch: 60 });
});

test("CC64 is the sustain pedal: down from 64, up below", () => {
  assert.deepEqual(parseMidiMessage([0xb0, 64, 127]), { type: "sustain", down: true });
  assert.deepEqual(parseMidiMessage([0xb2, 64, 64]), { type: "sustain", down: true });
  assert.deepEqual(parseMidiMessage([0xb0, 64, 63]), { type: "sustain", down: false });
});

test("other messages mean nothing to the recorder", () => {
  assert.equal(parseMidiMessage([0xb0, 1, 90]), null);  // modulation wheel
  assert.equal(parseMidiMessage([0xf8]), null);  // clock
  assert.equal(parseMidiMessage([0xe0, 0, 64]), null);  // pitch bend
  assert.equal(parseMidiMessage(null), null);
});
