// Runs a generation job: POST jobs/, then polls jobs/{id}/ until it is done or failed,
// showing the server's progress and message in a live region (no page reload).

const FINISHED = new Set(["done", "failed"]);

function pause(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

// Poll quickly at first (most jobs finish in a second or two), then back off.
function interval(elapsedMs) {
  return elapsedMs < 5000 ? 200 : elapsedMs < 30000 ? 500 : 1500;
}

export class JobRunner {
  constructor(root, api) {
    this.api = api;
    this.root = root;
    this.$ = (name) => root.querySelector(`[data-job="${name}"]`);
    this.$("retry").addEventListener("click", () => this.retry());
  }

  show(job) {
    const progress = this.$("progress");
    this.root.hidden = false;
    this.root.dataset.state = job.state;
    progress.value = job.state === "done" ? 1 : Math.max(0.02, Number(job.progress) || 0);
    progress.setAttribute("aria-valuetext", `${Math.round(progress.value * 100)}%`);
    const words = { queued: "Waiting for a generator…", running: "Generating…", done: "Done.", failed: "Failed." };
    this.$("message").textContent = job.message || words[job.state] || job.state;
    this.$("state").textContent = { done: "Finished" }[job.state] || job.state;
    this.$("retry").hidden = !(job.state === "failed" && job.can_retry !== false);
  }

  fail(message) {
    this.root.hidden = false;
    this.root.dataset.state = "failed";
    this.$("state").textContent = "failed";
    this.$("message").textContent = message;
    this.$("retry").hidden = true;
  }

  // Resolves with the finished job (done or failed); rejects only on API errors.
  async run(input, technique, params, seed) {
    this.generation = (this.generation || 0) + 1;
    const mine = this.generation;
    this.show({ state: "queued", progress: 0, message: "Sending…" });
    const job = await this.api.startJob(input, technique, params, seed);
    if (this.onStart) this.onStart(job);
    return this.follow(job, mine);
  }

  // Follows a job started earlier (before a reload of the page) to its end.
  resume(job) {
    this.generation = (this.generation || 0) + 1;
    return this.follow(job, this.generation);
  }

  async follow(job, mine) {
    this.lastJob = job;
    this.show(job);
    const started = performance.now();
    while (!FINISHED.has(job.state)) {
      await pause(interval(performance.now() - started));
      if (mine !== this.generation) return null;  // a newer job replaced this one
      job = await this.api.job(job.id);
      this.lastJob = job;
      this.show(job);
    }
    if (this.onFinish) this.onFinish(job);
    return job;
  }

  async retry() {
    if (!this.lastJob) return;
    this.generation += 1;
    const mine = this.generation;
    this.$("retry").hidden = true;
    try {
      const job = await this.api.retryJob(this.lastJob.id);
      if (this.onStart) this.onStart(job);
      await this.follow(job, mine);
    } catch (error) {
      this.fail(error.message);
    }
  }
}
