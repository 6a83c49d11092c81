// Refuses a file larger than its input's data-max-bytes before the form is sent, with the
// same message and in the same place as the server's form error. Sent, such a body would be
// refused whole (RequestBodyLimitMiddleware), and the page with what was typed lost.
(function () {
  "use strict";
  const inputs = Array.prototype.slice.call(document.querySelectorAll("input[type=file][data-max-bytes]"));

  function tooLarge(input) {
    const limit = Number(input.dataset.maxBytes);
    const file = input.files && input.files[0];
    if (!file || file.size <= limit) return "";
    return "The file is " + Math.floor(file.size / 1024) + " KB; the limit is " + Math.floor(limit / 1024) + " KB.";
  }

  function showError(input, message) {
    const field = input.closest(".field");
    const previous = field.querySelector(".error[data-file-limit]");
    if (previous) previous.remove();
    field.classList.toggle("has-error", Boolean(message));
    if (!message) return;
    const error = document.createElement("small");
    error.className = "error";
    error.setAttribute("role", "alert");
    error.dataset.fileLimit = "";
    error.textContent = message;
    field.appendChild(error);
  }

  inputs.forEach(function (input) {
    input.addEventListener("change", function () { showError(input, tooLarge(input)); });
    input.form.addEventListener("submit", function (event) {
      const message = tooLarge(input);
      showError(input, message);
      if (message) {
        event.preventDefault();
        input.focus();
      }
    });
  });
})();
