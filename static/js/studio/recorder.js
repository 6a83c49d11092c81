// The virtual keyboard recorder: an on-screen piano (mouse, touch, computer keys) or a USB
// MIDI keyboard (velocity and sustain pedal kept), live sound, metronome, count-in, tempo,
// quantise and trim, up to the bar limit, saved as notes JSON.

import { audioContext, click, noteOff, noteOn, playNotes } from "./synth.js";
import { MidiInput } from "./midi-input.js";
import { drawRoll, pitchName, isBlackKey } from "./pianoroll.js";

export const TICKS_PER_BEAT = 480;
// Computer keys by physical position (event.code), so the map works on any layout.
export const KEY_MAP = [
  ["KeyA", 0], ["KeyW", 1], ["KeyS", 2], ["KeyE", 3], ["KeyD", 4], ["KeyF", 5], ["KeyT", 6],
  ["KeyG", 7], ["KeyY", 8], ["KeyH", 9], ["KeyU", 10], ["KeyJ", 11], ["KeyK", 12],
  ["KeyO", 13], ["KeyL", 14], ["KeyP", 15], ["Semicolon", 16],
];
const KEY_OFFSET = new Map(KEY_MAP);
const VELOCITY = 96;

// Snap starts to the grid and lengths to whole grid cells (at least one).
export function quantise(notes, grid) {
  if (!grid) return notes.map((n) => [...n]);
  return notes.map(([pitch, start, duration, velocity]) => {
    const snapped = Math.round(start / grid) * grid;
    return [pitch, snapped, Math.max(grid, Math.round(duration / grid) * grid), velocity];
  });
}

// Keep bars fromBar..toBar (1-based, inclusive), moved to start at zero; clip what overhangs.
export function trim(notes, fromBar, toBar, ticksPerBar) {
  const begin = (fromBar - 1) * ticksPerBar;
  const end = toBar * ticksPerBar;
  return notes
    .filter(([, start]) => start >= begin && start < end)
    .map(([pitch, start, duration, velocity]) =>
      [pitch, start - begin, Math.min(duration, end - start), velocity]);
}

export class Recorder {
  constructor(root, { onSave, announce }) {
    this.root = root;
    this.maxBars = Number(root.dataset.maxBars);  // the generators' limit, from the page
    this.onSave = onSave;
    this.announce = announce;
    this.lowest = 60;
    this.raw = [];          // [pitch, startSeconds, durationSeconds, velocity]
    this.held = new Map();  // pitch -> {voice, start, velocity}: keys down
    this.sustained = new Map();  // the same for keys let go while the pedal is down
    this.pedal = false;
    this.recording = false;
    this.$ = (name) => root.querySelector(`[data-rec="${name}"]`);
    this.buildKeys();
    this.bind();
    this.refresh();
    this.midi = new MidiInput(this.$("midi"), {
      announce,
      noteOn: (pitch, velocity) => this.press(pitch, velocity),
      noteOff: (pitch) => this.release(pitch),
      sustain: (down) => this.sustain(down),
    });
  }

  // The range is the server's (the input's min and max, from the page): never written here.
  get tempo() {
    const input = this.$("tempo");
    return Math.min(Number(input.max), Math.max(Number(input.min), Number(input.value) || 100));
  }
  get beatsPerBar() { return Number(this.$("meter").value); }
  get ticksPerBar() { return this.beatsPerBar * TICKS_PER_BEAT; }
  get grid() { return Number(this.$("quantise").value) ? TICKS_PER_BEAT * 4 / Number(this.$("quantise").value) : 0; }

  buildKeys() {
    const piano = this.$("piano");
    piano.replaceChildren();
    const letters = new Map(KEY_MAP.map(([code, offset]) => [offset, code.replace("Key", "").replace("Semicolon", ";")]));
    for (let offset = 0; offset <= 24; offset += 1) {
      const pitch = this.lowest + offset;
      const key = document.createElement("button");
      key.type = "button";
      key.className = isBlackKey(pitch) ? "key black" : "key white";
      key.dataset.pitch = String(pitch);
      key.setAttribute("aria-label", pitchName(pitch));
      const letter = letters.get(offset);
      key.innerHTML = `<span class="key-note">${pitchName(pitch)}</span>${letter ? `<kbd>${letter}</kbd>` : ""}`;
      piano.append(key);
    }
    this.$("octave-label").textContent = `${pitchName(this.lowest)}–${pitchName(this.lowest + 24)}`;
  }

  bind() {
    const piano = this.$("piano");
    piano.addEventListener("pointerdown", (event) => {
      const key = event.target.closest(".key");
      if (!key) return;
      event.preventDefault();
      piano.setPointerCapture?.(event.pointerId);
      this.pointerPitch = Number(key.dataset.pitch);
      this.press(this.pointerPitch);
    });
    const release = () => {
      if (this.pointerPitch != null) this.release(this.pointerPitch);
      this.pointerPitch = null;
    };
    piano.addEventListener("pointerup", release);
    piano.addEventListener("pointercancel", release);
    // Enter or Space on a focused key plays a short note (click with no pointer).
    piano.addEventListener("click", (event) => {
      const key = event.target.closest(".key");
      if (!key || event.detail !== 0) return;
      const pitch = Number(key.dataset.pitch);
      this.press(pitch);
      setTimeout(() => this.release(pitch), 300);
    });
    document.addEventListener("keydown", (event) => this.onKey(event, true));
    document.addEventListener("keyup", (event) => this.onKey(event, false));
    this.$("octave-down").addEventListener("click", () => this.shift(-12));
    this.$("octave-up").addEventListener("click", () => this.shift(12));
    this.$("record").addEventListener("click", () => (this.recording || this.counting ? this.stop() : this.start()));
    this.$("play").addEventListener("click", () => this.preview());
    this.$("clear").addEventListener("click", () => { this.raw = []; this.refresh(); this.announce("Recording cleared."); });
    this.$("save").addEventListener("click", () => this.save());
    for (const name of ["quantise", "trim-from", "trim-to", "meter", "tempo"]) {
      this.$(name).addEventListener("change", () => this.refresh());
    }
  }

  active() {
    return !this.root.closest("[hidden]") && this.root.offsetParent !== null;
  }

  onKey(event, down) {
    if (!this.active() || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.matches?.("input, select, textarea, [contenteditable]")) return;
    if (down && !event.repeat && (event.code === "KeyZ" || event.code === "KeyX")) {
      this.shift(event.code === "KeyZ" ? -12 : 12);
      return;
    }
    if (!KEY_OFFSET.has(event.code)) return;
    event.preventDefault();
    if (event.repeat) return;
    const pitch = this.lowest + KEY_OFFSET.get(event.code);
    if (down) this.press(pitch); else this.release(pitch);
  }

  shift(semitones) {
    const lowest = this.lowest + semitones;
    if (lowest < 24 || lowest > 96) return;
    this.lowest = lowest;
    this.buildKeys();
    this.announce(`Keyboard now ${pitchName(lowest)} to ${pitchName(lowest + 24)}.`);
  }

  now() { return audioContext().currentTime - this.origin; }

  press(pitch, velocity = VELOCITY) {
    if (this.held.has(pitch)) return;
    this.finish(pitch, this.sustained);  // a sustained note struck again starts anew
    const voice = noteOn(pitch, velocity);
    this.held.set(pitch, { voice, start: this.recording ? this.now() : null, velocity });
    this.keyElement(pitch)?.classList.add("down");
  }

  // The key comes up; with the sustain pedal down the note sounds on until the pedal lifts.
  release(pitch, at = this.now()) {
    const held = this.held.get(pitch);
    if (!held) return;
    this.held.delete(pitch);
    this.keyElement(pitch)?.classList.remove("down");
    if (this.pedal) this.sustained.set(pitch, held);
    else this.end(pitch, held, at);
  }

  // The pedal lifting ends every sustained note at the one instant it lifted.
  sustain(down) {
    this.pedal = down;
    if (down) return;
    const at = this.now();
    for (const pitch of [...this.sustained.keys()]) this.finish(pitch, this.sustained, at);
  }

  finish(pitch, from, at = this.now()) {
    const note = from.get(pitch);
    if (!note) return;
    from.delete(pitch);
    this.end(pitch, note, at);
  }

  // The note stops sounding (at ``at``) and, if it was played while recording, is recorded.
  end(pitch, { voice, start, velocity }, at = this.now()) {
    noteOff(voice);
    if (start != null && this.recording) {
      const from = Math.max(0, start);
      this.raw.push([pitch, from, Math.max(0.05, at - from), velocity]);
      this.refresh();
    }
  }

  keyElement(pitch) { return this.$("piano").querySelector(`[data-pitch="${pitch}"]`); }

  // Bar 1 starts after the count-in; clicks are scheduled a little ahead of time.
  start() {
    const context = audioContext();
    const beat = 60 / this.tempo;
    const countIn = Number(this.$("count-in").value) * this.beatsPerBar;
    this.raw = [];
    this.origin = context.currentTime + 0.1 + countIn * beat;
    this.nextBeat = -countIn;
    this.counting = countIn > 0;
    this.recording = !this.counting;
    this.$("record").textContent = "■ Stop";
    this.$("record").setAttribute("aria-pressed", "true");
    this.timer = setInterval(() => this.tick(), 25);
    this.announce(this.counting ? "Count-in…" : "Recording.");
  }

  tick() {
    const context = audioContext();
    const beat = 60 / this.tempo;
    while (this.origin + this.nextBeat * beat < context.currentTime + 0.1) {
      const when = this.origin + this.nextBeat * beat;
      const accent = ((this.nextBeat % this.beatsPerBar) + this.beatsPerBar) % this.beatsPerBar === 0;
      if (this.nextBeat < 0 || this.$("metronome").checked) click(when, accent);
      this.nextBeat += 1;
    }
    const elapsed = this.now();
    if (this.counting && elapsed >= 0) {
      this.counting = false;
      this.recording = true;
      this.announce("Recording.");
    }
    const bar = Math.floor(elapsed / (beat * this.beatsPerBar)) + 1;
    this.$("position").textContent = elapsed < 0
      ? `Count-in: ${Math.ceil(-elapsed / beat)}`
      : `Bar ${bar} of ${this.maxBars}`;
    if (bar > this.maxBars) this.stop(`Stopped at the ${this.maxBars}-bar limit.`);
  }

  stop(message = "Recording stopped.") {
    const at = this.now();  // every note still sounding ends when Stop is pressed
    for (const pitch of [...this.held.keys()]) this.release(pitch, at);
    for (const pitch of [...this.sustained.keys()]) this.finish(pitch, this.sustained, at);
    clearInterval(this.timer);
    this.recording = false;
    this.counting = false;
    this.$("record").textContent = "● Record";
    this.$("record").setAttribute("aria-pressed", "false");
    this.$("position").textContent = "";
    const bars = this.recordedBars();
    this.$("trim-from").value = "1";
    this.$("trim-to").value = String(bars);
    this.refresh();
    this.announce(`${message} ${this.raw.length} notes in ${bars} bars.`);
  }

  recordedBars() {
    const ticks = this.ticksOf(this.raw);
    const end = ticks.reduce((most, [, s, d]) => Math.max(most, s + d), 1);
    return Math.min(this.maxBars, Math.max(1, Math.ceil(end / this.ticksPerBar)));
  }

  ticksOf(raw) {
    const perSecond = (this.tempo / 60) * TICKS_PER_BEAT;
    return raw.map(([pitch, start, duration, velocity]) =>
      [pitch, Math.round(start * perSecond), Math.max(1, Math.round(duration * perSecond)), velocity]);
  }

  // What will be saved: quantised, then trimmed to the chosen bars.
  notes() {
    const from = Math.max(1, Number(this.$("trim-from").value) || 1);
    const to = Math.min(this.maxBars, Math.max(from, Number(this.$("trim-to").value) || this.maxBars));
    return trim(quantise(this.ticksOf(this.raw), this.grid), from, to, this.ticksPerBar)
      .sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  }

  refresh() {
    const notes = this.notes();
    const roll = { ticks_per_beat: TICKS_PER_BEAT, length: 0, tracks: [{ name: "Recording", program: 0, notes }] };
    drawRoll(this.$("roll"), roll, { beatsPerBar: this.beatsPerBar });
    this.$("count").textContent = `${notes.length} notes`;
    this.$("save").disabled = notes.length === 0;
    this.$("play").disabled = notes.length === 0;
  }

  preview() {
    if (this.stopPreview) this.stopPreview();
    this.stopPreview = playNotes(this.notes(), TICKS_PER_BEAT, this.tempo);
  }

  payload() {
    return {
      kind: "recording",
      title: this.$("title").value.trim() || "My recording",
      tempo: this.tempo,
      ticks_per_beat: TICKS_PER_BEAT,
      time_signature: [this.beatsPerBar, 4],
      program: 0,
      notes: this.notes(),
    };
  }

  async save() {
    this.$("save").disabled = true;
    try {
      await this.onSave(this.payload());
    } finally {
      this.$("save").disabled = this.notes().length === 0;
    }
  }
}
