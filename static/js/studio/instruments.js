// Instrument pickers: one General MIDI program per pitched track. The names come from the
// server (music/instruments.py, in the page as "studio-instruments"); drum tracks play the
// drum kit and get no picker.

export function instrumentSelect(families, program, id) {
  const select = document.createElement("select");
  select.id = id;
  for (const { family, programs } of families) {
    const group = document.createElement("optgroup");
    group.label = family;
    for (const [number, name] of programs) group.append(new Option(name, String(number)));
    select.append(group);
  }
  select.value = String(program || 0);
  return select;
}

// A labelled picker for each pitched track; ``onChange(index, program)`` with the
// track's index in ``tracks``.
export function instrumentFields(families, tracks, prefix, onChange) {
  return tracks.flatMap((track, index) => {
    if (track.is_drum) return [];
    const id = `${prefix}-${index}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = track.name || `Track ${index + 1}`;
    const select = instrumentSelect(families, track.program, id);
    select.dataset.track = String(index);
    select.addEventListener("change", () => onChange(index, Number(select.value)));
    const field = document.createElement("div");
    field.className = "field compact";
    field.append(label, select);
    return [field];
  });
}
