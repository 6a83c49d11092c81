// Makes server-rendered countdowns tick: <time datetime="…" data-countdown>3 days, 4 hours</time>.
// Without JavaScript the server's text stays, which is right when the page was loaded.
(function () {
  "use strict";
  var clocks = Array.prototype.slice.call(document.querySelectorAll("time[data-countdown]"));
  if (!clocks.length) return;

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function describe(ms) {
    if (ms <= 0) return null;
    var s = Math.floor(ms / 1000);
    var days = Math.floor(s / 86400);
    var clock = pad(Math.floor(s % 86400 / 3600)) + ":" + pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60);
    return days > 0 ? days + (days === 1 ? " day, " : " days, ") + clock : clock;
  }

  function tick() {
    var now = Date.now();
    clocks.forEach(function (el) {
      var target = Date.parse(el.getAttribute("datetime"));
      if (isNaN(target)) return;
      var text = describe(target - now);
      if (text === null) {
        el.textContent = "now";
        var note = el.parentNode.querySelector(".countdown-reload");
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
