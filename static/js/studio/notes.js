// Note editing on a roll's tracks, without the page: what the editor does to its notes.
// A note is [pitch, start, duration, velocity] in ticks; pitches stay within MIDI's 0-127.

export const DEFAULT_VELOCITY = 90;

export function clampPitch(pitch) {
  return Math.min(127, Math.max(0, pitch));
}

// The grid cell at or before a tick.
export function snapDown(tick, grid) {
  return Math.floor(tick / grid) * grid;
}

// The nearest grid line to a tick, never before zero.
export function snapNearest(tick, grid) {
  return Math.max(0, Math.round(tick / grid) * grid);
}

// The note sounding at a pitch and tick, searching the tracks in the given order.
export function noteAt(tracks, pitch, tick) {
  for (const track of tracks) {
    const note = track.notes.find(([p, s, d]) => p === pitch && tick >= s && tick < s + d);
    if (note) return note;
  }
  return null;
}

// Adds a note to a track, keeping the track sorted by start and pitch; returns the note.
export function addNote(track, pitch, tick, duration, velocity = DEFAULT_VELOCITY) {
  const note = [clampPitch(pitch), Math.max(0, tick), duration, velocity];
  track.notes.push(note);
  track.notes.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  return note;
}

// Removes a note (the very object) from whichever track holds it.
export function removeNote(tracks, note) {
  for (const track of tracks) track.notes = track.notes.filter((n) => n !== note);
}

// Moves a note in place by semitones and ticks, clamped to MIDI's pitches and to tick zero.
export function moveNote(note, dPitch, dTick) {
  note[0] = clampPitch(note[0] + dPitch);
  note[1] = Math.max(0, note[1] + dTick);
  return note;
}

// The next (direction 1) or previous (-1) note in time order after the selected one,
// wrapping around; the first or last when nothing is selected; null without notes.
export function stepNote(tracks, selected, direction) {
  const notes = tracks.flatMap((t) => t.notes).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  if (!notes.length) return null;
  const index = notes.indexOf(selected);
  if (index < 0) return direction > 0 ? notes[0] : notes[notes.length - 1];
  return notes[(index + direction + notes.length) % notes.length];
}

// The API's body for an edited composition: one track as `notes`, several as `tracks`;
// tracks left empty are dropped.
export function editPayload(base, tracks) {
  const kept = tracks.filter((t) => t.notes.length);
  if (kept.length <= 1) {
    const track = kept[0] || tracks[0];
    return { ...base, program: track.program || 0, notes: track.notes };
  }
  return { ...base, tracks: kept.map((t) => ({ program: t.program || 0, name: t.name, notes: t.notes })) };
}
