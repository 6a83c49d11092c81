// The piano-roll editor for the input: add, delete and move notes with the mouse or touch,
// or with the keyboard (arrows move a cursor, Enter adds, Shift+arrows move, Delete removes).

import { drawGrid, drawNotes, editableBars, layout, pitchName, prepareCanvas, quartersPerBar, rollEnd } from "./pianoroll.js";
import { playNotes } from "./synth.js";
import { instrumentFields } from "./instruments.js";
import { addNote, clampPitch, editPayload, moveNote, noteAt, removeNote, snapDown, snapNearest, stepNote } from "./notes.js";

const CELL = 12;      // pixels per grid cell at 1/16
const ROW = 11;       // pixels per semitone

export class Editor {
  constructor(root, { onSave, announce, instruments }) {
    this.root = root;
    this.instruments = instruments;
    this.maxBars = Number(root.dataset.maxBars);  // the generators' limit, from the page
    this.onSave = onSave;
    this.announce = announce;
    this.$ = (name) => root.querySelector(`[data-ed="${name}"]`);
    this.canvas = this.$("canvas");
    this.history = [];
    this.selected = null;
    this.bind();
  }

  get grid() { return this.roll.ticks_per_beat * 4 / Number(this.$("grid").value); }
  get length() { return this.roll.ticks_per_beat * 4 / Number(this.$("length").value); }
  get track() { return this.roll.tracks[Number(this.$("track").value) || 0]; }

  load(composition) {
    this.source = composition;
    this.tempo = composition.tempo || 120;
    const pitched = composition.roll.tracks.filter((t) => !t.is_drum);
    this.timeSignature = composition.roll.time_signature || [4, 4];
    this.beatsPerBar = quartersPerBar(composition.roll);
    this.roll = {
      ticks_per_beat: composition.roll.ticks_per_beat,
      length: composition.roll.length,
      tracks: pitched.map((t) => ({ ...t, notes: t.notes.map((n) => [...n]) })),
    };
    if (!this.roll.tracks.length) this.roll.tracks.push({ name: "Melody", program: 0, notes: [] });
    this.$("track").replaceChildren(...this.roll.tracks.map((t, i) => new Option(t.name || `Track ${i + 1}`, String(i))));
    this.$("track-field").hidden = this.roll.tracks.length < 2;
    // Each track's instrument goes with the edited version when it is saved.
    this.$("instruments").replaceChildren(...instrumentFields(this.instruments, this.roll.tracks, "ed-instrument",
      (index, program) => { this.roll.tracks[index].program = program; }));
    this.$("title").value = `${composition.title} (edited)`;
    const first = this.roll.tracks.flatMap((t) => t.notes)[0];
    this.cursor = { pitch: first ? first[0] : 60, tick: 0 };
    this.selected = null;
    this.history = [];
    this.fixedRange = this.range(true);
    this.draw();
  }

  bind() {
    this.canvas.addEventListener("pointerdown", (e) => this.pointerDown(e));
    this.canvas.addEventListener("pointermove", (e) => this.pointerMove(e));
    this.canvas.addEventListener("pointerup", () => this.pointerUp());
    this.canvas.addEventListener("dblclick", (e) => {
      const hit = this.hit(e);
      if (hit) { this.select(hit.note); this.remove(); }
    });
    this.canvas.addEventListener("keydown", (e) => this.key(e));
    this.$("undo").addEventListener("click", () => this.undo());
    this.$("delete").addEventListener("click", () => this.remove());
    this.$("play").addEventListener("click", () => {
      if (this.stopPreview) this.stopPreview();
      this.stopPreview = playNotes(this.roll.tracks.flatMap((t) => t.notes), this.roll.ticks_per_beat, this.tempo);
    });
    this.$("save").addEventListener("click", () => this.save());
    this.$("grid").addEventListener("change", () => this.draw());
  }

  // The pitch range shown: the notes, the cursor and some room to move.
  range(initial = false) {
    let low = 127; let high = 0;
    for (const t of this.roll.tracks) for (const [p] of t.notes) { low = Math.min(low, p); high = Math.max(high, p); }
    if (this.cursor) { low = Math.min(low, this.cursor.pitch); high = Math.max(high, this.cursor.pitch); }
    if (low > high) { low = 60; high = 72; }
    low -= 5; high += 5;
    if (!initial && this.fixedRange) { low = Math.min(low, this.fixedRange[0]); high = Math.max(high, this.fixedRange[1]); }
    return [Math.max(0, low), Math.min(127, high)];
  }

  geometry() {
    const ticksPerBar = this.roll.ticks_per_beat * this.beatsPerBar;
    const used = Math.max(rollEnd(this.roll), this.cursor.tick + this.grid);
    const bars = Math.min(editableBars(this.source.roll, this.maxBars), Math.ceil(used / ticksPerBar) + 1);
    const end = bars * ticksPerBar;
    const [low, high] = this.range();
    this.canvas.style.width = `${(end / (this.roll.ticks_per_beat / 4)) * CELL}px`;
    this.canvas.style.height = `${(high - low + 1) * ROW}px`;
    const { context, width, height } = prepareCanvas(this.canvas);
    return { context, width, height, g: layout(this.roll, width, height, [low, high], end) };
  }

  draw() {
    if (!this.roll) return;
    const { context, width, height, g } = this.geometry();
    drawGrid(context, g, width, height, this.roll.ticks_per_beat, this.beatsPerBar);
    drawNotes(context, this.roll, g, { selected: this.selected });
    context.strokeStyle = "#f0a500";
    context.lineWidth = 2;
    context.setLineDash([4, 3]);
    context.strokeRect(g.x(this.cursor.tick) + 1, g.y(this.cursor.pitch) + 1, g.x(this.grid) - 2, g.rowHeight - 2);
    context.setLineDash([]);
    this.g = g;
    const count = this.roll.tracks.reduce((n, t) => n + t.notes.length, 0);
    this.canvas.setAttribute("aria-label", `Note editor, ${count} notes. Cursor at ${this.where(this.cursor.pitch, this.cursor.tick)}.`);
    this.$("delete").disabled = !this.selected;
    this.$("undo").disabled = !this.history.length;
  }

  where(pitch, tick) {
    const beat = tick / this.roll.ticks_per_beat;
    return `${pitchName(pitch)}, bar ${Math.floor(beat / this.beatsPerBar) + 1} beat ${(beat % this.beatsPerBar + 1).toFixed(2).replace(/\.?0+$/, "")}`;
  }

  snapshot() {
    this.history.push(JSON.stringify(this.roll.tracks.map((t) => t.notes)));
    if (this.history.length > 100) this.history.shift();
  }

  undo() {
    const last = this.history.pop();
    if (!last) return;
    JSON.parse(last).forEach((notes, i) => { this.roll.tracks[i].notes = notes; });
    this.selected = null;
    this.draw();
    this.announce("Undone.");
  }

  hit(event) {
    const rect = this.canvas.getBoundingClientRect();
    const x = event.clientX - rect.left; const y = event.clientY - rect.top;
    const pitch = this.g.pitchAt(y); const tick = this.g.tickAt(x);
    return { note: noteAt([...this.roll.tracks].reverse(), pitch, tick), pitch, tick };
  }

  pointerDown(event) {
    this.canvas.focus();
    const { note, pitch, tick } = this.hit(event);
    const snapped = snapDown(tick, this.grid);
    this.snapshot();
    if (note) {
      this.select(note);
      this.drag = { note, offset: tick - note[1], moved: false };
    } else {
      this.cursor = { pitch, tick: snapped };
      this.add();
      this.drag = { note: this.selected, offset: tick - snapped, moved: true };
    }
    this.canvas.setPointerCapture?.(event.pointerId);
  }

  pointerMove(event) {
    if (!this.drag) return;
    const { pitch, tick } = this.hit(event);
    const start = snapNearest(tick - this.drag.offset, this.grid);
    const note = this.drag.note;
    if (note[0] === pitch && note[1] === start) return;
    note[0] = clampPitch(pitch);
    note[1] = start;
    this.drag.moved = true;
    this.cursor = { pitch: note[0], tick: note[1] };
    this.draw();
  }

  pointerUp() {
    if (!this.drag) return;
    if (!this.drag.moved) this.history.pop();  // a plain selection changes nothing
    else this.announce(`Note at ${this.where(this.drag.note[0], this.drag.note[1])}.`);
    this.drag = null;
  }

  select(note) {
    this.selected = note;
    if (note) this.cursor = { pitch: note[0], tick: note[1] };
    this.draw();
    if (note) this.announce(`Selected ${this.where(note[0], note[1])}, ${note[2] / this.roll.ticks_per_beat} beats long.`);
  }

  noteAtCursor() {
    return noteAt(this.roll.tracks, this.cursor.pitch, this.cursor.tick);
  }

  add() {
    const note = addNote(this.track, this.cursor.pitch, this.cursor.tick, this.length);
    this.select(note);
    this.announce(`Added ${this.where(note[0], note[1])}.`);
  }

  remove() {
    if (!this.selected) return;
    this.snapshot();
    removeNote(this.roll.tracks, this.selected);
    this.announce(`Deleted ${this.where(this.selected[0], this.selected[1])}.`);
    this.selected = null;
    this.draw();
  }

  moveSelected(dPitch, dTick) {
    const note = this.selected;
    if (!note) { this.announce("Select a note first (Enter on a note, or N)."); return; }
    this.snapshot();
    this.select(moveNote(note, dPitch, dTick));
  }

  step(direction) {
    const next = stepNote(this.roll.tracks, this.selected, direction);
    if (next) this.select(next);
  }

  key(event) {
    const moves = { ArrowUp: [1, 0], ArrowDown: [-1, 0], ArrowLeft: [0, -this.grid], ArrowRight: [0, this.grid] };
    let handled = true;
    if (moves[event.key] && event.shiftKey) {
      this.moveSelected(...moves[event.key]);
    } else if (moves[event.key]) {
      const [dp, dt] = moves[event.key];
      this.cursor = { pitch: clampPitch(this.cursor.pitch + dp), tick: Math.max(0, this.cursor.tick + dt) };
      this.selected = this.noteAtCursor();
      this.draw();
      this.announce(`${this.selected ? "On a note: " : ""}${this.where(this.cursor.pitch, this.cursor.tick)}`);
    } else if (event.key === "Enter") {
      const note = this.noteAtCursor();
      if (note) this.select(note); else { this.snapshot(); this.add(); }
    } else if (event.key === "Delete" || event.key === "Backspace") {
      this.remove();
    } else if (event.key === "n" || event.key === "p") {
      this.step(event.key === "n" ? 1 : -1);
    } else if (event.key === "z" && (event.ctrlKey || event.metaKey)) {
      this.undo();
    } else if (event.key === "Escape") {
      this.selected = null; this.draw();
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  }

  payload() {
    const base = {
      kind: "edit",
      parent: this.source.id,
      title: this.$("title").value.trim() || `${this.source.title} (edited)`,
      tempo: this.tempo,
      ticks_per_beat: this.roll.ticks_per_beat,
      time_signature: this.timeSignature,
    };
    return editPayload(base, this.roll.tracks);
  }

  async save() {
    this.$("save").disabled = true;
    try { await this.onSave(this.payload()); } finally { this.$("save").disabled = false; }
  }
}
