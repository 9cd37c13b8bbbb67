// Tallybook's small helpers. No inline scripts (the CSP forbids them), no eval.
(function () {
  "use strict";
  // <form data-confirm="Really?"> asks before it submits.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  // <input type="file" data-max-bytes="..."> refuses a file that is too large before it is uploaded
  // (the server refuses it too, but then the page is lost with what was typed next to it).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.dataset || !input.dataset.maxBytes || !input.files || !input.files[0]) { return; }
    var message = input.form && input.form.querySelector("[data-file-error]");
    if (input.files[0].size > Number(input.dataset.maxBytes)) {
      input.value = "";
      if (message) { message.textContent = "This file is larger than 10 MB: choose a smaller one."; message.hidden = false; }
    } else if (message) { message.hidden = true; }
  });
  // Close the account dropdown after a click elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.dropdown[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });
})();
