// The leaderboard's play buttons: one shared <audio data-board-player> plays the entry whose
// button was pressed (pressing it again pauses), so each row needs only a small button.
// Without JavaScript the buttons stay hidden and each row offers a plain "Listen" link.
(function () {
  "use strict";
  const player = document.querySelector("audio[data-board-player]");
  const buttons = Array.prototype.slice.call(document.querySelectorAll("button[data-play]"));
  if (!player || !buttons.length) return;
  let current = null;

  function mark(button, playing) {
    button.setAttribute("aria-pressed", String(playing));
    button.firstElementChild.textContent = playing ? "❚❚" : "▶";
  }

  function stop() {
    player.pause();
    if (current) mark(current, false);
    current = null;
  }

  buttons.forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      if (current === button) { stop(); return; }
      stop();
      current = button;
      mark(button, true);
      player.src = button.dataset.play;
      player.play().catch(function () { if (current === button) stop(); });
    });
  });
  player.addEventListener("ended", stop);
})();
