// The studio page: wires the components together around one "current input".

import { StudioApi } from "./api.js";
import { Editor } from "./editor.js";
import { Gallery } from "./gallery.js";
import { JobRunner } from "./jobs.js";
import { RollView } from "./pianoroll.js";
import { Recorder } from "./recorder.js";
import { ResultView, whenAudioReady } from "./result.js";
import { loadSession, saveSession } from "./session.js";
import { initTabs } from "./tabs.js";
import { TechniquePanels } from "./techniques.js";

const data = (id) => JSON.parse(document.getElementById(id)?.textContent || "null");
const root = document.getElementById("studio");
const api = new StudioApi(root.dataset.api, root.querySelector("[name=csrfmiddlewaretoken]").value);
const live = document.getElementById("studio-live");
const $ = (selector) => root.querySelector(selector);

function announce(message) {
  live.textContent = "";
  requestAnimationFrame(() => { live.textContent = message; });
}

const state = { input: null, chain: [] };
const inputView = new RollView($("#input-roll"), $("#input-legend"));
inputView.follow($("#input-audio"));

async function setInput(composition, chain) {
  state.input = composition;
  state.chain = chain;
  saveSession({ input: composition.id, chain });
  $("#input-empty").hidden = true;
  $("#input-current").hidden = false;
  $("#input-title").textContent = composition.title;
  $("#input-chain").textContent = chain.join(" → ");
  $("#input-meta").textContent = `${composition.kind} · ${composition.bars} bars · ${Math.round(composition.tempo)} BPM`;
  const notice = $("#input-notice");
  notice.textContent = composition.notice || "";
  notice.hidden = !composition.notice;
  inputView.show(composition.roll, { tempo: composition.tempo });
  $("#generate").disabled = false;
  $("#editor").hidden = true;
  $("#edit-toggle").setAttribute("aria-expanded", "false");
  announce(`Input: ${composition.title}. ${composition.notice ? `${composition.notice} ` : ""}Choose a technique and generate.`);
  const audio = $("#input-audio");
  audio.removeAttribute("src");
  const ready = await whenAudioReady(api, composition);
  if (state.input.id === composition.id && ready.audio_url) { audio.src = ready.audio_url; audio.load(); }
}

function showInputError(message) {
  const box = $("#input-error");
  box.textContent = message;
  box.hidden = !message;
}

// Keyboard focus goes to the new input, so the next Tab presses lead on to the technique
// and Generate (not back through the whole gallery, or from the page's top).
function focusInput() {
  $("#input-current").scrollIntoView({ block: "start" });
  $("#input-current-heading").focus();
}

async function createInput(promise, chain, button) {
  showInputError("");
  if (button) button.disabled = true;
  try {
    const composition = await promise;
    const audio = setInput(composition, chain);  // shows the input at once; audio follows
    focusInput();
    await audio;
    return composition;
  } catch (error) {
    showInputError(error.message);
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

// ----- input: samples, upload, recorder, editor ------------------------------------------
initTabs($("#input-tabs"));
new Gallery($("#gallery"), data("studio-samples") || [], {
  onUse: (sample, button) => createInput(api.createFromSample(sample.slug), [sample.title], button),
});

$("#upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const file = form.elements.midi.files[0];
  const error = $("#upload-error");
  error.textContent = "";
  if (!file) { error.textContent = "Choose a MIDI file (.mid) first."; return; }
  try {
    const composition = await api.uploadMidi(
      file, form.elements.title.value.trim(), form.elements.keep_timing.checked);
    form.reset();
    const audio = setInput(composition, [composition.title]);
    focusInput();
    await audio;
  } catch (failure) {
    error.textContent = failure.message;
  }
});

new Recorder($("#recorder"), {
  announce,
  onSave: (payload) => createInput(api.createFromNotes(payload), [payload.title]),
});

const editor = new Editor($("#editor"), {
  announce,
  instruments: data("studio-instruments") || [],
  onSave: (payload) => createInput(api.createFromNotes(payload), [...state.chain, "edited"]),
});
$("#edit-toggle").addEventListener("click", (event) => {
  const open = $("#editor").hidden;
  $("#editor").hidden = !open;
  event.currentTarget.setAttribute("aria-expanded", String(open));
  if (open) { editor.load(state.input); $("#editor canvas").focus(); }
});

// ----- techniques, generate, result -------------------------------------------------------
const panels = new TechniquePanels($("#techniques"), data("studio-techniques") || []);
const runner = new JobRunner($("#job"), api);
const result = new ResultView($("#result"), {
  api,
  announce,
  techniques: data("studio-techniques") || [],
  challenges: data("studio-challenges") || [],
  instruments: data("studio-instruments") || [],
  onUseAsInput: (composition) => {
    setInput(composition, [...result.chain]);
    $("#techniques-section").scrollIntoView({ block: "start" });
    $("#techniques [role=tab][aria-selected=true]").focus();
  },
});

runner.onFinish = async (job) => {
  if (job.state !== "done" || !job.result) {
    announce(`Generation failed: ${job.message}`);
    return;
  }
  result.chain = [...state.chain, panels.title(job.technique)];
  // show() draws the result at once and then waits for its audio: focus goes there now.
  const audio = result.show(job.result, result.chain, state.input?.id === job.input ? state.input : null);
  announce(`Done: ${job.result.title}. The result is below.`);
  $("#result-heading").focus();
  await audio;
};

runner.onStart = (job) => saveSession({ job: job.id });

$("#generate").addEventListener("click", async () => {
  if (!state.input) return;
  const { technique, params } = panels.values();
  const seedText = $("#seed").value.trim();
  panels.showError(null);
  performance.clearMarks();
  performance.mark("studio:generate");
  const running = runner.run(state.input.id, technique, params, seedText === "" ? undefined : Number(seedText));
  // The job's status is shown by now: focus moves there before Generate is disabled,
  // which would otherwise drop it to the page body.
  $("#job-label").focus();
  $("#generate").disabled = true;
  try {
    await running;
  } catch (error) {
    // A bad parameter comes back as {detail, code: "invalid_param", extra: {field}}.
    const body = error.body || {};
    const param = body.extra?.field || (body.fields ? Object.keys(body.fields)[0] : null);
    panels.showError(param, error.message);
    runner.fail(error.message);
  } finally {
    $("#generate").disabled = false;
  }
});

// ----- where the page starts ---------------------------------------------------------------
// A composition opened with ?from=<id> becomes the input. Otherwise a reload brings back
// this tab's input and its last job: a job still running is followed again to its result.
async function resumeJob(id) {
  let job;
  try {
    job = await api.job(id);
  } catch (error) {
    if (error.status === 404) saveSession({ job: null });  // gone, or another account's
    else runner.fail(error.message);
    return;
  }
  if (job.input !== state.input?.id) return;
  panels.setValues(job.technique, job.params);
  $("#generate").disabled = true;
  try {
    await runner.resume(job);
  } catch (error) {
    runner.fail(error.message);
  } finally {
    $("#generate").disabled = false;
  }
}

async function restore() {
  const start = data("studio-start");
  const saved = loadSession();
  const id = start || saved.input;
  if (!id) return;
  try {
    const composition = await api.composition(id);
    const audio = setInput(composition, start ? [composition.title] : saved.chain || [composition.title]);
    if (!start && saved.job) resumeJob(saved.job);
    else saveSession({ job: null });
    await audio;
  } catch (error) {
    if (start || error.status !== 404) showInputError(error.message);
    else saveSession({ input: null, chain: null, job: null });  // deleted, or another account's
  }
}
restore();
