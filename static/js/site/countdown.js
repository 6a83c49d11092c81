// Makes server-rendered countdowns tick: <time datetime="…" data-countdown>3 days, 4 hours</time>.
// Without JavaScript the server's text stays, which is right when the page was loaded.
(function () {
  "use strict";
  const clocks = Array.prototype.slice.call(document.querySelectorAll("time[data-countdown]"));
  if (!clocks.length) return;

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function describe(ms) {
    if (ms <= 0) return null;
    const s = Math.floor(ms / 1000);
    const days = Math.floor(s / 86400);
    const clock = pad(Math.floor(s % 86400 / 3600)) + ":" + pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60);
    return days > 0 ? days + (days === 1 ? " day, " : " days, ") + clock : clock;
  }

  function tick() {
    const now = Date.now();
    clocks.forEach(function (el) {
      const target = Date.parse(el.getAttribute("datetime"));
      if (isNaN(target)) return;
      const text = describe(target - now);
      if (text === null) {
        el.textContent = "now";
        let note = el.parentNode.querySelector(".countdown-reload");
        if (!note) {
          note = document.createElement("a");
          note.className = "countdown-reload small";
          note.href = window.location.href;
          note.textContent = " Reload for the latest";
          el.parentNode.appendChild(note);
        }
      } else {
        el.textContent = text;
      }
    });
  }

  tick();
  window.setInterval(tick, 1000);
})();
