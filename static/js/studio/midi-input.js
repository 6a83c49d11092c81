// A USB MIDI keyboard through the Web MIDI API: a device picker, and each message of the
// chosen input turned into a note on (with its velocity), a note off or the sustain pedal.

const NOTE_OFF = 0x80;
const NOTE_ON = 0x90;
const CONTROL_CHANGE = 0xb0;
const SUSTAIN_PEDAL = 64;  // CC64: 64-127 is down, 0-63 is up

// What a MIDI message means for the recorder, or null for anything else (clock, other
// controllers, system messages). A note on with velocity 0 is a note off, as MIDI says.
export function parseMidiMessage(data) {
  if (!data || data.length < 3) return null;
  const kind = data[0] & 0xf0;
  const [, first, second] = data;
  if (kind === NOTE_ON && second > 0) return { type: "noteon", pitch: first, velocity: second };
  if (kind === NOTE_ON || kind === NOTE_OFF) return { type: "noteoff", pitch: first };
  if (kind === CONTROL_CHANGE && first === SUSTAIN_PEDAL) return { type: "sustain", down: second >= 64 };
  return null;
}

export class MidiInput {
  // ``handlers``: {noteOn(pitch, velocity), noteOff(pitch), sustain(down), announce(text)}.
  constructor(root, handlers) {
    this.root = root;
    this.handlers = handlers;
    this.$ = (name) => root.querySelector(`[data-midi="${name}"]`);
    this.input = null;
    this.listener = (event) => this.receive(event.data);
    if (!navigator.requestMIDIAccess) {
      this.$("connect").disabled = true;
      this.status("This browser has no Web MIDI: use Chrome, Edge or Opera for a MIDI keyboard.");
      return;
    }
    this.$("connect").addEventListener("click", () => this.connect());
    this.$("device").addEventListener("change", () => this.choose(this.$("device").value));
  }

  status(text) { this.$("status").textContent = text; }

  async connect() {
    this.$("connect").disabled = true;
    try {
      this.access = await navigator.requestMIDIAccess();
    } catch {
      this.$("connect").disabled = false;
      this.status("The browser did not allow MIDI access; allow it in the site settings and try again.");
      return;
    }
    this.access.onstatechange = () => this.list();
    this.$("connect").hidden = true;
    this.list();
  }

  // The device picker lists the inputs now connected; the chosen one stays chosen while
  // it is plugged in, and the first one is chosen when none is.
  list() {
    const inputs = [...this.access.inputs.values()].filter((input) => input.state !== "disconnected");
    const picker = this.$("device");
    picker.replaceChildren(...inputs.map((input) => new Option(input.name || input.id, input.id)));
    picker.disabled = !inputs.length;
    this.$("device-field").hidden = false;
    const keep = inputs.find((input) => input.id === this.input?.id) || inputs[0];
    if (keep) picker.value = keep.id;
    this.choose(keep?.id);
  }

  choose(id) {
    const input = id ? this.access.inputs.get(id) : null;
    if (input === this.input) { this.describe(); return; }
    if (this.input) this.input.removeEventListener("midimessage", this.listener);
    this.handlers.sustain(false);
    this.input = input || null;
    if (this.input) this.input.addEventListener("midimessage", this.listener);
    this.describe();
    if (this.input) this.handlers.announce(`MIDI keyboard ${this.input.name || this.input.id} connected.`);
  }

  describe() {
    this.status(this.input
      ? `Playing from ${this.input.name || this.input.id}: velocity and sustain pedal are recorded.`
      : "No MIDI keyboard found: plug one in and it appears here.");
  }

  receive(data) {
    const message = parseMidiMessage(data);
    if (message?.type === "noteon") this.handlers.noteOn(message.pitch, message.velocity);
    else if (message?.type === "noteoff") this.handlers.noteOff(message.pitch);
    else if (message?.type === "sustain") this.handlers.sustain(message.down);
  }
}
