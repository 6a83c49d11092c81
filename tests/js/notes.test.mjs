// The editor's note operations (static/js/studio/notes.js). Run: node --test tests/js
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  addNote, clampPitch, editPayload, moveNote, noteAt, removeNote, snapDown, snapNearest, stepNote,
} from "../../static/js/studio/notes.js";

const roll = () => [
  { name: "Melody", program: 0, notes: [[60, 0, 480, 90], [64, 480, 480, 90]] },
  { name: "Bass", program: 32, notes: [[48, 0, 960, 80]] },
];

test("snapping goes down to the cell, or to the nearest line and never below zero", () => {
  assert.equal(snapDown(239, 120), 120);
  assert.equal(snapDown(240, 120), 240);
  assert.equal(snapNearest(179, 120), 120);
  assert.equal(snapNearest(181, 120), 240);
  assert.equal(snapNearest(-70, 120), 0);
});

test("a note is found while it sounds, not at its end, and the track order decides ties", () => {
  const tracks = roll();
  assert.deepEqual(noteAt(tracks, 60, 479), [60, 0, 480, 90]);
  assert.equal(noteAt(tracks, 60, 480), null);
  assert.equal(noteAt(tracks, 61, 0), null);
  tracks[1].notes.push([60, 0, 240, 50]);
  assert.equal(noteAt(tracks, 60, 10)[3], 90);
  assert.equal(noteAt([...tracks].reverse(), 60, 10)[3], 50);
});

test("added notes keep the track sorted by start, then pitch, with pitches clamped", () => {
  const [melody] = roll();
  const early = addNote(melody, 67, 0, 240);
  const high = addNote(melody, 200, 960, 240);
  assert.deepEqual(melody.notes.map((n) => [n[0], n[1]]), [[60, 0], [67, 0], [64, 480], [127, 960]]);
  assert.equal(early[3], 90);
  assert.equal(high[0], 127);
  assert.equal(clampPitch(-3), 0);
});

test("removing takes out that very note, not an equal copy in another track", () => {
  const tracks = roll();
  tracks[1].notes.push([60, 0, 480, 90]);
  const target = tracks[0].notes[0];
  removeNote(tracks, target);
  assert.equal(tracks[0].notes.length, 1);
  assert.deepEqual(tracks[1].notes[1], [60, 0, 480, 90]);
});

test("moving clamps to MIDI pitches and to tick zero, in place", () => {
  const note = [126, 120, 240, 90];
  assert.equal(moveNote(note, 5, -500), note);
  assert.deepEqual(note, [127, 0, 240, 90]);
  moveNote(note, -200, 240);
  assert.deepEqual(note, [0, 240, 240, 90]);
});

test("stepping walks the notes in time order across tracks and wraps around", () => {
  const tracks = roll();
  const first = stepNote(tracks, null, 1);
  assert.deepEqual(first, [48, 0, 960, 80]);
  const second = stepNote(tracks, first, 1);
  assert.deepEqual(second, [60, 0, 480, 90]);
  assert.deepEqual(stepNote(tracks, second, 1), [64, 480, 480, 90]);
  assert.deepEqual(stepNote(tracks, tracks[0].notes[1], 1), first);
  assert.deepEqual(stepNote(tracks, null, -1), [64, 480, 480, 90]);
  assert.equal(stepNote([{ notes: [] }], null, 1), null);
});

test("the payload is one track's notes or several named tracks, empty ones dropped", () => {
  const base = { kind: "edit", parent: 7 };
  const tracks = roll();
  const both = editPayload(base, tracks);
  assert.deepEqual(both.tracks.map((t) => [t.name, t.program, t.notes.length]), [["Melody", 0, 2], ["Bass", 32, 1]]);
  assert.equal(both.notes, undefined);
  tracks[1].notes = [];
  const one = editPayload(base, tracks);
  assert.deepEqual([one.kind, one.parent, one.program, one.notes.length], ["edit", 7, 0, 2]);
  assert.equal(one.tracks, undefined);
  const empty = editPayload(base, [{ program: 5, notes: [] }]);
  assert.deepEqual([empty.program, empty.notes], [5, []]);
});
