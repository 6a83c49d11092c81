// The studio's pure helpers: piano-roll geometry, quantising and trimming a recording,
// pitch names and frequencies, and the API's error messages. Run: node --test tests/js
import assert from "node:assert/strict";
import { test } from "node:test";

import { errorMessage } from "../../static/js/studio/api.js";
import {
  editableBars, isBlackKey, layout, notesEnd, pitchName, pitchRange, quartersPerBar, rollEnd, trackColour,
  TRACK_COLOURS,
} from "../../static/js/studio/pianoroll.js";
import { quantise, trim } from "../../static/js/studio/recorder.js";
import { frequency } from "../../static/js/studio/synth.js";

const roll = (notes, extra = {}) => ({ ticks_per_beat: 480, tracks: [{ notes }], ...extra });

test("pitch names and black keys follow MIDI numbering (60 is middle C)", () => {
  assert.equal(pitchName(60), "C4");
  assert.equal(pitchName(69), "A4");
  assert.equal(pitchName(61), "C♯4");
  assert.equal(pitchName(0), "C-1");
  assert.deepEqual([60, 61, 62, 63, 64, 65, 66].map(isBlackKey),
    [false, true, false, true, false, false, true]);
});

test("A4 sounds at 440 Hz and an octave doubles the frequency", () => {
  assert.equal(frequency(69), 440);
  assert.ok(Math.abs(frequency(81) - 880) < 1e-9);
  assert.ok(Math.abs(frequency(60) - 261.6256) < 1e-3);
});

test("bars are counted in quarter notes whatever the meter's unit", () => {
  assert.equal(quartersPerBar(roll([], { time_signature: [4, 4] })), 4);
  assert.equal(quartersPerBar(roll([], { time_signature: [3, 4] })), 3);
  assert.equal(quartersPerBar(roll([], { time_signature: [6, 8] })), 3);
  assert.equal(quartersPerBar(roll([])), 4);
});

test("a roll ends at its last note, its length, or one bar, whichever is latest", () => {
  const notes = [[60, 0, 480, 90], [64, 960, 240, 90]];
  assert.equal(notesEnd(roll(notes)), 1200);
  assert.equal(rollEnd(roll(notes)), 1920); // at least four beats
  assert.equal(rollEnd(roll(notes, { length: 4000 })), 4000);
  assert.equal(rollEnd(roll([[60, 0, 5000, 90]])), 5000);
});

test("the editor takes notes up to the page's bar limit, or the opened piece's length", () => {
  const bar = 480 * 4;
  assert.equal(editableBars(roll([[60, 0, 480, 90]], { time_signature: [4, 4] }), 32), 32);
  // a 47-bar result of the Transformer (a 32-bar input extended by 30 seconds)
  assert.equal(editableBars(roll([[60, 46 * bar, 480, 90]], { time_signature: [4, 4] }), 32), 47);
  assert.equal(editableBars(roll([], { length: 40 * bar }), 32), 40);
  // counted in the piece's own bars: 46¼ bars of 4/4 are 61⅔ bars of 3/4
  assert.equal(editableBars(roll([[60, 46 * bar, 480, 90]], { time_signature: [3, 4] }), 32), 62);
});

test("the pitch range pads the notes to a minimum span and ignores drums", () => {
  const [low, high] = pitchRange(roll([[60, 0, 1, 1], [62, 0, 1, 1]]));
  assert.ok(low < 60 && high > 62);
  assert.ok(high - low >= 14);
  const drums = { ticks_per_beat: 480, tracks: [{ is_drum: true, notes: [[36, 0, 1, 1]] }] };
  assert.deepEqual(pitchRange(drums), pitchRange(roll([])));
  const [wideLow, wideHigh] = pitchRange(roll([[30, 0, 1, 1], [90, 0, 1, 1]]));
  assert.deepEqual([wideLow, wideHigh], [29, 91]);
});

test("layout maps ticks and pitches to pixels and hit-testing maps them back", () => {
  const geometry = layout(roll([]), 800, 260, [60, 72], 1920);
  assert.equal(geometry.x(960), 400);
  assert.equal(geometry.y(72), 0);
  assert.equal(geometry.y(60), 240);
  for (const pitch of [60, 65, 72]) {
    assert.equal(geometry.pitchAt(geometry.y(pitch) + geometry.rowHeight / 2), pitch);
  }
  assert.ok(Math.abs(geometry.tickAt(geometry.x(1234)) - 1234) < 1e-9);
});

test("quantising snaps starts to the grid and lengths to whole cells, at least one", () => {
  const played = [[60, 130, 200, 90], [62, 470, 10, 80]];
  assert.deepEqual(quantise(played, 240), [[60, 240, 240, 90], [62, 480, 240, 80]]);
  const copy = quantise(played, 0);
  assert.deepEqual(copy, played);
  assert.notEqual(copy[0], played[0]); // a copy, not the same arrays
});

test("trimming keeps whole bars, moves them to zero and clips what overhangs", () => {
  const bar = 1920;
  const notes = [[60, 0, 480, 90], [62, bar + 100, 480, 90], [64, 2 * bar - 100, 480, 90]];
  assert.deepEqual(trim(notes, 2, 2, bar), [[62, 100, 480, 90], [64, bar - 100, 100, 90]]);
  assert.deepEqual(trim(notes, 3, 4, bar), []);
});

test("track colours cycle", () => {
  assert.equal(trackColour(0), TRACK_COLOURS[0]);
  assert.equal(trackColour(TRACK_COLOURS.length + 1), TRACK_COLOURS[1]);
});

test("API errors become one plain sentence, naming the fields", () => {
  assert.equal(errorMessage({ detail: "Not allowed." }, 403), "Not allowed.");
  assert.equal(
    errorMessage({ detail: "Invalid.", fields: { title: ["Too long."], non_field_errors: ["Bad."] } }, 400),
    "title: Too long. Bad.",
  );
  assert.equal(errorMessage(null, 502), "The server answered 502.");
});

test("a result's parameters read in the server's words, not its machine names", async () => {
  const { describeParams } = await import("../../static/js/studio/result.js");
  const arcnn = { name: "arcnn", params: [
    { name: "creative_risk", label: "Creative risk" },
    { name: "max_input_notes_to_remove", label: "Maximum input notes to remove", unit: "%" },
  ] };
  assert.equal(describeParams({ creative_risk: 1.5, max_input_notes_to_remove: 40 }, arcnn),
    "Creative risk 1.5, Maximum input notes to remove 40%");
  assert.equal(describeParams(null, arcnn), "");
});
