// The result of a generation: multi-track roll with legend, audio player, MIDI download,
// "use as input" (chaining) and "submit to challenge" (a small dialog).

import { instrumentFields } from "./instruments.js";
import { RollView, notesEnd } from "./pianoroll.js";

function pause(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

// Parameters in the server's words: each one's label and unit from the technique's row
// (GET /api/studio/techniques/, handed to the page), never its machine name.
export function describeParams(params, technique) {
  if (!params) return "";
  const rows = new Map(((technique && technique.params) || []).map((row) => [row.name, row]));
  return Object.entries(params).map(([name, value]) => {
    const row = rows.get(name);
    const unit = row && row.unit ? (row.unit === "%" ? "%" : ` ${row.unit}`) : "";
    return `${row ? row.label : name} ${value}${unit}`;
  }).join(", ");
}

// Wait for the composition's audio to be rendered (it may lag the MIDI a little).
export async function whenAudioReady(api, composition, timeoutMs = 60000) {
  const deadline = performance.now() + timeoutMs;
  while (composition.audio_state === "pending" && performance.now() < deadline) {
    await pause(400);
    composition = await api.composition(composition.id);
  }
  return composition;
}

export class ResultView {
  constructor(root, { api, challenges, instruments, techniques = [], onUseAsInput, announce }) {
    this.root = root;
    this.api = api;
    this.instruments = instruments;
    this.techniques = new Map(techniques.map((technique) => [technique.name, technique]));
    this.challenges = challenges;
    this.onUseAsInput = onUseAsInput;
    this.announce = announce;
    this.$ = (name) => root.querySelector(`[data-res="${name}"]`);
    this.roll = new RollView(this.$("roll"), this.$("legend"));
    this.roll.follow(this.$("audio"));
    this.dialog = document.getElementById("submit-dialog");
    this.bind();
  }

  bind() {
    this.$("use").addEventListener("click", () => this.onUseAsInput(this.composition));
    this.$("submit").addEventListener("click", () => this.openDialog());
    const form = this.dialog.querySelector("form");
    form.addEventListener("submit", (event) => { event.preventDefault(); this.send(form); });
    this.dialog.querySelector("[data-close]").addEventListener("click", () => this.dialog.close());
  }

  // ``input`` (the job's input composition) marks where a Transformer's extension starts.
  async show(composition, chain, input = null) {
    this.composition = composition;
    this.root.dataset.composition = composition.id;
    this.root.hidden = false;
    this.$("title").textContent = composition.title;
    this.$("chain").textContent = chain.join(" → ");
    const technique = this.techniques.get(composition.technique);
    const facts = [
      composition.technique && `Technique: ${technique ? technique.title : composition.technique}`,
      composition.params && `Parameters: ${describeParams(composition.params, technique)}`,
      composition.seed != null && `Seed: ${composition.seed}`,
      composition.model_version && `Model: ${composition.model_version}`,
      `${composition.bars} bars · ${Math.round(composition.duration_seconds)} s · ${Math.round(composition.tempo)} BPM`,
    ].filter(Boolean);
    this.$("facts").replaceChildren(...facts.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
    let marker = null;
    if (composition.technique === "transformer" && input) {
      const scale = composition.roll.ticks_per_beat / input.roll.ticks_per_beat;
      marker = { tick: notesEnd(input.roll) * scale, label: "extension →" };
    }
    this.marker = marker;
    this.roll.show(composition.roll, { tempo: composition.tempo, marker });
    performance.mark("studio:result-shown");  // bench/bench_studio.py reads these marks
    this.showInstruments(composition);
    const download = this.$("download");
    download.href = composition.midi_url;
    download.setAttribute("download", `${composition.title}.mid`);
    this.$("submitted").replaceChildren();
    await this.loadAudio(composition);
  }

  showInstruments(composition) {
    const fields = instrumentFields(this.instruments, composition.roll.tracks, "res-instrument",
      (index, program) => this.setInstrument(index, program));
    this.$("instruments").replaceChildren(...fields);
    this.$("instruments-box").hidden = !fields.length;
    this.$("instruments-note").textContent = "";
  }

  // The change is saved with the composition, and its audio rendered again.
  async setInstrument(index, program) {
    const composition = this.composition;
    const programs = composition.roll.tracks.map((track, i) => (i === index ? program : track.program));
    const pickers = [...this.$("instruments").querySelectorAll("select")];
    const note = this.$("instruments-note");
    for (const picker of pickers) picker.disabled = true;
    note.textContent = "Saving the instruments…";
    try {
      const changed = await this.api.setInstruments(composition.id, programs);
      if (this.composition.id !== composition.id) return;
      this.composition = changed;
      this.roll.show(changed.roll, { tempo: changed.tempo, marker: this.marker });
      note.textContent = "Saved; the audio is rendered again with the new instruments.";
      this.announce(note.textContent);
      await this.loadAudio(changed);
    } catch (error) {
      note.textContent = error.message;
      pickers.forEach((picker) => { picker.value = String(composition.roll.tracks[Number(picker.dataset.track)].program); });
    } finally {
      for (const picker of pickers) picker.disabled = false;
    }
  }

  // Until this composition's audio is ready the player is emptied and hidden: removing
  // ``src`` alone keeps the previous piece loaded and playable, so load() resets it.
  async loadAudio(composition) {
    const audio = this.$("audio");
    const note = this.$("audio-note");
    audio.pause();
    audio.removeAttribute("src");
    audio.load();
    audio.hidden = true;
    note.textContent = "Rendering the audio…";
    const ready = await whenAudioReady(this.api, composition);
    if (ready.id !== this.composition.id) return;
    if (ready.audio_url) {
      audio.src = ready.audio_url;
      audio.load();
      audio.hidden = false;
      note.textContent = "";
    } else {
      note.textContent = "The audio could not be rendered; download the MIDI to listen.";
    }
  }

  // Only the open challenges that accept this composition's technique are offered.
  openDialog() {
    const form = this.dialog.querySelector("form");
    const message = this.dialog.querySelector("[data-dialog=message]");
    const technique = this.composition.technique || "upload";
    const open = this.challenges.filter((c) => !c.allowed_techniques || c.allowed_techniques.includes(technique));
    form.elements.challenge.replaceChildren(...open.map((c) => new Option(c.title, c.slug)));
    message.className = "";
    message.textContent = open.length ? "" : `No open challenge accepts ${technique} entries right now.`;
    form.elements.title.value = this.composition.title;
    form.querySelector("[type=submit]").disabled = !open.length;
    this.dialog.showModal();
  }

  async send(form) {
    const message = this.dialog.querySelector("[data-dialog=message]");
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    message.className = "";
    message.textContent = "Submitting…";
    try {
      const entry = await this.api.submit(this.composition.id, form.elements.challenge.value,
        form.elements.title.value.trim(), form.elements.description.value.trim());
      const challenge = this.challenges.find((c) => c.slug === form.elements.challenge.value);
      message.className = "ok";
      message.textContent = `Submitted to ${challenge?.title || "the challenge"}. It is ${entry.state}; scoring takes a minute.`;
      const link = Object.assign(document.createElement("a"), { href: `/submissions/${entry.id}/`, textContent: "Follow your entry" });
      message.append(" ", link);
      this.$("submitted").replaceChildren(message.cloneNode(true));
      this.announce(message.textContent);
    } catch (error) {
      message.className = "error";
      message.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  }
}
