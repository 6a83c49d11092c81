// Piano-roll drawing on a canvas: thumbnails, the input and multi-track results.
// A roll is the API's {ticks_per_beat, length, tracks: [{program, name, is_drum?, notes}]},
// each note [pitch, start, duration, velocity] in ticks.

export const TRACK_COLOURS = ["#5b3fd6", "#d9480f", "#0b7285", "#2b8a3e", "#c2255c", "#e67700"];
const NAMES = ["C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B"];
const BLACK = new Set([1, 3, 6, 8, 10]);

export function pitchName(pitch) {
  return `${NAMES[pitch % 12]}${Math.floor(pitch / 12) - 1}`;
}

export function isBlackKey(pitch) {
  return BLACK.has(pitch % 12);
}

export function trackColour(index) {
  return TRACK_COLOURS[index % TRACK_COLOURS.length];
}

// Bar length in quarter notes (the grid's beats): 3/4 -> 3, 6/8 -> 3, 4/4 -> 4.
export function quartersPerBar(roll) {
  const [count, unit] = roll.time_signature || [4, 4];
  return (count * 4) / unit;
}

export function notesEnd(roll) {
  let end = 0;
  for (const track of roll.tracks) {
    for (const [, start, duration] of track.notes) end = Math.max(end, start + duration);
  }
  return end;
}

export function rollEnd(roll) {
  return Math.max(roll.length || 0, notesEnd(roll), roll.ticks_per_beat * 4);
}

// The most bars the editor shows and lets notes go into: the page's limit (an input's),
// or the length of the piece it opened, where a generator's result is longer than that.
export function editableBars(roll, maxBars) {
  const ticksPerBar = roll.ticks_per_beat * quartersPerBar(roll);
  return Math.max(maxBars, Math.ceil(rollEnd(roll) / ticksPerBar));
}

export function pitchRange(roll, minimumSpan = 14) {
  let low = 127;
  let high = 0;
  for (const track of roll.tracks) {
    if (track.is_drum) continue;
    for (const [pitch] of track.notes) { low = Math.min(low, pitch); high = Math.max(high, pitch); }
  }
  if (low > high) { low = 60; high = 72; }
  const missing = Math.max(0, minimumSpan - (high - low));
  low = Math.max(0, low - 1 - Math.floor(missing / 2));
  high = Math.min(127, high + 1 + Math.ceil(missing / 2));
  return [low, high];
}

// The canvas's backing store at the device's pixel ratio; returns the 2D context and size.
export function prepareCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || Number(canvas.getAttribute("width")) || 300;
  const height = canvas.clientHeight || Number(canvas.getAttribute("height")) || 120;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { context, width, height };
}

// Geometry shared by drawing and hit-testing (the editor uses it too).
export function layout(roll, width, height, range, end) {
  const [low, high] = range;
  const rows = high - low + 1;
  const rowHeight = height / rows;
  const tickWidth = width / end;
  return {
    low, high, rowHeight, tickWidth, end,
    x: (tick) => tick * tickWidth,
    y: (pitch) => (high - pitch) * rowHeight,
    tickAt: (x) => x / tickWidth,
    pitchAt: (y) => high - Math.floor(y / rowHeight),
  };
}

export function drawGrid(context, geometry, width, height, ticksPerBeat, beatsPerBar) {
  context.fillStyle = "#fbfbfe";
  context.fillRect(0, 0, width, height);
  for (let pitch = geometry.low; pitch <= geometry.high; pitch += 1) {
    if (!isBlackKey(pitch)) continue;
    context.fillStyle = "#efeff6";
    context.fillRect(0, geometry.y(pitch), width, geometry.rowHeight);
  }
  const beatWidth = geometry.x(ticksPerBeat);
  for (let beat = 0; beat * ticksPerBeat <= geometry.end; beat += 1) {
    const bar = beat % beatsPerBar === 0;
    if (!bar && beatWidth < 6) continue;
    context.fillStyle = bar ? "#c9c9db" : "#e4e4ee";
    context.fillRect(Math.round(geometry.x(beat * ticksPerBeat)), 0, 1, height);
  }
}

export function drawNotes(context, roll, geometry, options = {}) {
  const minimumHeight = Math.max(1.5, geometry.rowHeight - 1);
  roll.tracks.forEach((track, index) => {
    if (options.hidden && options.hidden.has(index)) return;
    const colour = trackColour(index);
    for (const note of track.notes) {
      const [pitch, start, duration, velocity] = note;
      if (pitch < geometry.low || pitch > geometry.high) continue;
      context.globalAlpha = 0.55 + 0.45 * Math.min(1, (velocity || 90) / 127);
      context.fillStyle = colour;
      const x = geometry.x(start);
      const w = Math.max(2, geometry.x(duration) - 1);
      context.fillRect(x, geometry.y(pitch) + 0.5, w, minimumHeight);
      if (options.selected === note) {
        context.globalAlpha = 1;
        context.strokeStyle = "#111";
        context.lineWidth = 2;
        context.strokeRect(x, geometry.y(pitch) + 0.5, w, minimumHeight);
      }
    }
  });
  context.globalAlpha = 1;
}

// Draw a whole roll into a canvas (thumbnails and the read-only views).
export function drawRoll(canvas, roll, options = {}) {
  const { context, width, height } = prepareCanvas(canvas);
  const end = options.end || rollEnd(roll);
  const geometry = layout(roll, width, height, options.range || pitchRange(roll), end);
  const beatsPerBar = options.beatsPerBar || quartersPerBar(roll);
  drawGrid(context, geometry, width, height, roll.ticks_per_beat, beatsPerBar);
  drawNotes(context, roll, geometry, options);
  if (options.marker) {  // where a continuation starts
    context.fillStyle = "#17152b";
    context.fillRect(geometry.x(options.marker.tick), 0, 2, height);
    context.font = "12px system-ui, sans-serif";
    context.fillText(options.marker.label, geometry.x(options.marker.tick) + 5, 13);
  }
  if (options.playhead != null) {
    context.fillStyle = "#f0a500";
    context.fillRect(geometry.x(options.playhead), 0, 2, height);
  }
  return geometry;
}

// A short text summary for screen readers (the canvas itself is an image).
export function describeRoll(roll) {
  const counts = roll.tracks.map((t) => `${t.name || "Track"}: ${t.notes.length} notes`);
  const [low, high] = pitchRange(roll, 0);
  return `Piano roll, ${roll.tracks.length} track(s) (${counts.join(", ")}), `
    + `pitches ${pitchName(low + 1)} to ${pitchName(high - 1)}.`;
}

export function legend(roll, onToggle) {
  const list = document.createElement("ul");
  list.className = "roll-legend";
  roll.tracks.forEach((track, index) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "legend-item";
    button.setAttribute("aria-pressed", "true");
    button.title = "Show or hide this track";
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = trackColour(index);
    button.append(swatch, `${track.name || `Track ${index + 1}`} (${track.notes.length})`);
    button.addEventListener("click", () => {
      const shown = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", String(shown));
      if (onToggle) onToggle(index, shown);
    });
    item.append(button);
    list.append(item);
  });
  return list;
}

// A read-only roll with a legend and a playhead that follows an <audio> element.
export class RollView {
  constructor(canvas, legendHolder) {
    this.canvas = canvas;
    this.legendHolder = legendHolder;
    this.roll = null;
    this.hidden = new Set();
    this.playhead = null;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  show(roll, { tempo = 120, beatsPerBar = quartersPerBar(roll), marker = null } = {}) {
    this.roll = roll;
    this.marker = marker;
    this.tempo = tempo;
    this.beatsPerBar = beatsPerBar;
    this.hidden = new Set();
    this.canvas.setAttribute("aria-label", describeRoll(roll));
    if (this.legendHolder) {
      this.legendHolder.replaceChildren(legend(roll, (index, shown) => {
        if (shown) this.hidden.delete(index); else this.hidden.add(index);
        this.draw();
      }));
    }
    this.draw();
  }

  follow(audio) {
    const tick = () => {
      if (!this.roll) return;
      const ticksPerSecond = (this.tempo / 60) * this.roll.ticks_per_beat;
      this.playhead = audio.paused && audio.currentTime === 0 ? null : audio.currentTime * ticksPerSecond;
      this.draw();
      if (!audio.paused) requestAnimationFrame(tick);
    };
    audio.addEventListener("play", () => requestAnimationFrame(tick));
    audio.addEventListener("seeked", tick);
    audio.addEventListener("ended", () => { this.playhead = null; this.draw(); });
  }

  draw() {
    if (!this.roll) return;
    drawRoll(this.canvas, this.roll, {
      hidden: this.hidden, playhead: this.playhead, beatsPerBar: this.beatsPerBar, marker: this.marker,
    });
  }
}
