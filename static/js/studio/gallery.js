// The sample-melody gallery: a piano-roll thumbnail, facts, a play button and "use".

import { describeRoll, drawRoll } from "./pianoroll.js";

export class Gallery {
  constructor(root, samples, { onUse }) {
    this.root = root;
    this.samples = samples;
    this.onUse = onUse;
    this.audio = document.getElementById("sample-audio");
    this.playing = null;
    this.audio.addEventListener("ended", () => this.stop());
    this.audio.addEventListener("error", () => this.failed());
    this.build();
  }

  build() {
    const template = document.getElementById("sample-card");
    const cards = this.samples.map((sample) => {
      const card = template.content.firstElementChild.cloneNode(true);
      card.dataset.slug = sample.slug;
      card.querySelector(".sample-title").textContent = sample.title;
      const [beats, unit] = sample.meter || [4, 4];
      card.querySelector(".sample-meta").textContent =
        `${sample.key} · ${beats}/${unit} · ${Math.round(sample.tempo)} BPM · ${sample.bars} bars`;
      card.querySelector(".sample-description").textContent = sample.description || "";
      const canvas = card.querySelector("canvas");
      canvas.setAttribute("aria-label", describeRoll(sample.roll));
      const play = card.querySelector("[data-action=play]");
      play.setAttribute("aria-label", `Play ${sample.title}`);
      play.addEventListener("click", () => this.toggle(card, sample));
      const use = card.querySelector("[data-action=use]");
      use.setAttribute("aria-label", `Use ${sample.title} as input`);
      use.addEventListener("click", () => this.onUse(sample, use));
      return card;
    });
    this.root.replaceChildren(...cards);
    requestAnimationFrame(() => this.drawAll());
    new ResizeObserver(() => this.drawAll()).observe(this.root);
  }

  drawAll() {
    for (const card of this.root.children) this.drawCard(card);
  }

  drawCard(card, playhead = null) {
    const sample = this.samples.find((s) => s.slug === card.dataset.slug);
    drawRoll(card.querySelector("canvas"), sample.roll, { playhead });
  }

  toggle(card, sample) {
    const wasPlaying = this.playing === card;
    this.stop();
    if (wasPlaying) return;
    this.playing = card;
    this.tries = 0;
    card.querySelector(".sample-note").textContent = "";
    this.audio.src = sample.audio_url;
    this.audio.play().catch((error) => {
      if (error.name !== "NotAllowedError") return;  // load errors are handled by failed()
      card.querySelector(".sample-note").textContent = "The browser blocked playback; press play again.";
      this.stop();
    });
    const button = card.querySelector("[data-action=play]");
    button.setAttribute("aria-pressed", "true");
    button.querySelector(".icon").textContent = "■";
    const ticksPerSecond = (sample.tempo / 60) * sample.roll.ticks_per_beat;
    const follow = () => {
      if (this.playing !== card) return;
      this.drawCard(card, this.audio.currentTime * ticksPerSecond);
      requestAnimationFrame(follow);
    };
    requestAnimationFrame(follow);
  }

  // The server answers 503 while a melody's audio is first rendered: wait and try again.
  async failed() {
    const card = this.playing;
    if (!card) return;
    const note = card.querySelector(".sample-note");
    const sample = this.samples.find((s) => s.slug === card.dataset.slug);
    const response = await fetch(sample.audio_url).catch(() => null);
    if (this.playing !== card) return;
    this.tries = (this.tries || 0) + 1;
    if (response && response.status === 503 && this.tries < 20) {
      note.textContent = "Preparing the audio…";
      const wait = Number(response.headers.get("Retry-After")) || 2;
      setTimeout(() => {
        if (this.playing !== card) return;
        this.audio.src = `${sample.audio_url}?try=${this.tries}`;
        this.audio.play().catch(() => {});
      }, wait * 1000);
      return;
    }
    note.textContent = "The audio could not be loaded.";
    this.stop();
  }

  stop() {
    if (!this.playing) return;
    const card = this.playing;
    this.playing = null;
    this.audio.pause();
    const button = card.querySelector("[data-action=play]");
    button.setAttribute("aria-pressed", "false");
    button.querySelector(".icon").textContent = "▶";
    this.drawCard(card);
  }
}
