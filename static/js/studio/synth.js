// Web Audio synthesis for live playing, metronome clicks and previews (no samples needed).

let sharedContext = null;

// Browsers only allow audio after a user gesture, so the context is made on first use.
export function audioContext() {
  if (!sharedContext) sharedContext = new AudioContext();
  if (sharedContext.state === "suspended") sharedContext.resume();
  return sharedContext;
}

export function frequency(pitch) {
  return 440 * 2 ** ((pitch - 69) / 12);
}

// One voice: two detuned oscillators through a soft envelope, like a simple electric piano.
export function noteOn(pitch, velocity = 96, when = 0) {
  const context = audioContext();
  const start = Math.max(context.currentTime, when);
  const gain = context.createGain();
  const level = 0.18 * (velocity / 127);
  gain.gain.setValueAtTime(0, start);
  gain.gain.linearRampToValueAtTime(level, start + 0.01);
  gain.gain.exponentialRampToValueAtTime(level * 0.4, start + 0.6);
  const filter = context.createBiquadFilter();
  filter.type = "lowpass";
  filter.frequency.value = 2400;
  gain.connect(filter).connect(context.destination);
  const oscillators = [["triangle", 0], ["sine", 4]].map(([type, detune]) => {
    const oscillator = context.createOscillator();
    oscillator.type = type;
    oscillator.frequency.value = frequency(pitch);
    oscillator.detune.value = detune;
    oscillator.connect(gain);
    oscillator.start(start);
    return oscillator;
  });
  return { gain, oscillators, level };
}

export function noteOff(voice, when = 0) {
  const context = audioContext();
  const end = Math.max(context.currentTime, when);
  voice.gain.gain.cancelScheduledValues(end);
  voice.gain.gain.setValueAtTime(voice.gain.gain.value || voice.level * 0.4, end);
  voice.gain.gain.exponentialRampToValueAtTime(0.0001, end + 0.12);
  for (const oscillator of voice.oscillators) oscillator.stop(end + 0.15);
}

export function click(when, accent) {
  const context = audioContext();
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  oscillator.frequency.value = accent ? 1760 : 1175;
  gain.gain.setValueAtTime(accent ? 0.3 : 0.18, when);
  gain.gain.exponentialRampToValueAtTime(0.0001, when + 0.05);
  oscillator.connect(gain).connect(context.destination);
  oscillator.start(when);
  oscillator.stop(when + 0.06);
}

// Play notes [[pitch, start, duration, velocity]] (ticks) now; returns a stop function.
export function playNotes(notes, ticksPerBeat, tempo) {
  const context = audioContext();
  const secondsPerTick = 60 / tempo / ticksPerBeat;
  const origin = context.currentTime + 0.05;
  const voices = notes.map(([pitch, start, duration, velocity]) => {
    const voice = noteOn(pitch, velocity, origin + start * secondsPerTick);
    noteOff(voice, origin + (start + duration) * secondsPerTick);
    return voice;
  });
  return () => voices.forEach((voice) => noteOff(voice));
}
