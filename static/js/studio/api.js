// The studio API client: JSON in and out, CSRF header, one error type with a plain message.

export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// The project's error body is {detail, code, fields?}; fields map a name to messages.
export function errorMessage(body, status) {
  if (!body || typeof body !== "object") return `The server answered ${status}.`;
  const parts = [];
  if (body.fields && typeof body.fields === "object") {
    for (const [name, messages] of Object.entries(body.fields)) {
      const text = Array.isArray(messages) ? messages.join(" ") : JSON.stringify(messages);
      parts.push(name === "non_field_errors" ? text : `${name}: ${text}`);
    }
  }
  if (parts.length) return parts.join(" ");
  if (body.detail) return String(body.detail);
  return `The server answered ${status}.`;
}

export class StudioApi {
  constructor(base, csrfToken) {
    this.base = base.endsWith("/") ? base : `${base}/`;
    this.csrfToken = csrfToken;
  }

  async request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = this.csrfToken;
    let payload;
    if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(this.base + path, {
        method, headers, body: payload, credentials: "same-origin",
      });
    } catch (error) {
      throw new ApiError("The server could not be reached. Check your connection.", 0, null);
    }
    if (response.status === 204) return null;
    const isJson = (response.headers.get("Content-Type") || "").includes("json");
    const data = isJson ? await response.json() : null;
    if (!response.ok) {
      const message = response.status === 403 && !data
        ? "Log in to use the studio." : errorMessage(data, response.status);
      throw new ApiError(message, response.status, data);
    }
    return data;
  }

  get(path) { return this.request("GET", path); }
  post(path, body) { return this.request("POST", path, body ?? {}); }
  patch(path, body) { return this.request("PATCH", path, body); }

  composition(id) { return this.get(`compositions/${id}/`); }
  createFromSample(slug) { return this.post("compositions/", { sample: slug }); }
  createFromNotes(payload) { return this.post("compositions/", payload); }

  // One General MIDI program per track, in the roll's order; the audio is rendered again.
  setInstruments(id, programs) { return this.request("PUT", `compositions/${id}/instruments/`, { programs }); }

  uploadMidi(file, title, keepTiming = false) {
    const form = new FormData();
    form.append("midi", file);
    if (title) form.append("title", title);
    if (keepTiming) form.append("keep_timing", "true");
    return this.post("compositions/", form);
  }

  startJob(input, technique, params, seed) {
    const body = { input, technique, params };
    if (Number.isInteger(seed)) body.seed = seed;
    return this.post("jobs/", body);
  }

  job(id) { return this.get(`jobs/${id}/`); }
  retryJob(id) { return this.post(`jobs/${id}/retry/`); }

  submit(compositionId, challenge, title, description) {
    return this.post(`compositions/${compositionId}/submit/`, { challenge, title, description });
  }
}
