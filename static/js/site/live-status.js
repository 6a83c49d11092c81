// Live states of entries waiting to be scored, without reloading the page.
//
// Elements marked data-entry="<uuid>" data-state="<state>" are polled through the API
// (/api/submissions/<uuid>/, the session's login) while their state is pending; the
// badge (data-state-badge) and score (data-score) are updated in place. An element with
// data-refresh="<id> <id>…" swaps in the elements of those ids from a fresh copy of the
// page once its entry is done, so the full server-rendered report appears. Without JavaScript the
// server-rendered states stand, and a reload shows the latest.
(function () {
  "use strict";
  const PENDING = { received: true, queued: true, evaluating: true };
  const LABELS = { received: "Received", queued: "Queued", evaluating: "Evaluating",
                 scored: "Scored", rejected: "Rejected", failed: "Failed" };
  const announcer = document.querySelector("[data-live-announcer]");
  let delay = 1500;
  const MAX_DELAY = 15000;

  function waiting() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-entry]")).filter(function (el) {
      return PENDING[el.getAttribute("data-state")];
    });
  }

  function say(text) { if (announcer) announcer.textContent = text; }

  function refreshSections(ids) {
    return fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        const fresh = new DOMParser().parseFromString(html, "text/html");
        ids.forEach(function (id) {
          const next = fresh.getElementById(id), now = document.getElementById(id);
          if (next && now) now.replaceWith(document.importNode(next, true));
        });
      })
      .catch(function () { /* the state badge is right; a reload shows the rest */ });
  }

  function apply(el, data) {
    const state = data.state;
    if (state === el.getAttribute("data-state")) return;
    el.setAttribute("data-state", state);
    const badge = el.querySelector("[data-state-badge]");
    if (badge) {
      badge.textContent = LABELS[state] || state;
      badge.className = "state state-" + state + " changed";
    }
    const score = el.querySelector("[data-score]");
    if (score && !PENDING[state]) {
      if (state !== "scored") score.textContent = "–";
      else if (data.score === null) score.innerHTML = '<span class="muted">hidden until results</span>';
      else score.textContent = Number(data.score).toFixed(2);
    }
    say((data.title || "Your entry") + ": " + (LABELS[state] || state));
    const sections = el.getAttribute("data-refresh");
    if (sections && !PENDING[state]) refreshSections(sections.split(" "));
  }

  function poll() {
    const entries = waiting();
    if (!entries.length) return;
    Promise.all(entries.map(function (el) {
      return fetch("/api/submissions/" + el.getAttribute("data-entry") + "/", {
        credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) apply(el, data); })
        .catch(function () { /* offline for a moment: try again later */ });
    })).then(function () {
      delay = Math.min(MAX_DELAY, Math.round(delay * 1.3));
      window.setTimeout(poll, delay);
    });
  }

  if (waiting().length && window.fetch) window.setTimeout(poll, delay);
})();
