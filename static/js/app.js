// Tallybook's small helpers. No inline scripts (the CSP forbids them), no eval.
(function () {
  "use strict";
  // <form data-confirm="Really?"> asks before it submits. A "no" also keeps the event from htmx (which does not
  // look at defaultPrevented), so an hx-post form is not sent either.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // <form data-after-edits> in the editor (Issue) is queued behind the edits still in flight (hx-sync of
  // #invoice-editor). When its turn comes and one of those edits was not saved (refused beside a field, a
  // server error, no answer), it is not sent: the draft as stored is not what the screen shows.
  var unsavedEdits = [];  // the editor's forms (sent on change) whose last edit was not saved
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("#invoice-editor form[hx-trigger='change']")) { return; }
    unsavedEdits = unsavedEdits.filter(function (f) { return f !== form && document.body.contains(f); });
    if (!event.detail.successful) { unsavedEdits.push(form); }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-after-edits]")) { return; }
    var editor = form.closest("#invoice-editor");
    var marked = editor ? Array.prototype.filter.call(
      editor.querySelectorAll("#invoice-header .field-error, #invoice-lines .field-error, #invoice-adjustments .field-error"),
      function (el) { return el.textContent.trim() !== ""; }) : [];
    unsavedEdits = unsavedEdits.filter(function (f) { return document.body.contains(f); });
    var unsaved = marked.length > 0 || unsavedEdits.length > 0;
    var note = document.getElementById("issue-unsaved");
    if (note) { note.hidden = !unsaved; }
    if (unsaved) { event.preventDefault(); }
  });
  // <input type="file" data-max-bytes="..." data-error="(the message, in the member's language)"> refuses a file
  // that is too large before it is uploaded (the server refuses it too, but then the page is lost with what was
  // typed next to it).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.dataset || !input.dataset.maxBytes || !input.files || !input.files[0]) { return; }
    var message = input.form && input.form.querySelector("[data-file-error]");
    var max = Number(input.dataset.maxBytes);  // each file of a multiple input
    if (Array.prototype.some.call(input.files, function (file) { return file.size > max; })) {
      input.value = "";
      if (message) { message.textContent = input.dataset.error || ""; message.hidden = false; }
    } else if (message) { message.hidden = true; }
  });
  // The editor's answers to adding, removing and moving a line carry the changed lines only: the labels that
  // number the lines ("Description of line 3") and the first line's up and the last line's down buttons are
  // brought up to date here, from the order on the screen.
  function renumberLines() {
    var rows = document.querySelectorAll("#line-rows > .line");
    Array.prototype.forEach.call(rows, function (row, index) {
      var labelled = [row].concat(Array.prototype.slice.call(row.querySelectorAll("[aria-label]")));
      labelled.forEach(function (el) {
        var label = el.getAttribute("aria-label");
        if (label && /\d+/.test(label)) { el.setAttribute("aria-label", label.replace(/\d+/, String(index + 1))); }
      });
      var up = row.querySelector("[data-move=up]"), down = row.querySelector("[data-move=down]");
      if (up) { up.disabled = index === 0; }
      if (down) { down.disabled = index === rows.length - 1; }
    });
  }
  document.addEventListener("htmx:afterSettle", function () {
    if (document.getElementById("line-rows")) { renumberLines(); }
  });
  // An answer that takes an element away names where the keyboard focus goes (HX-Trigger-After-Settle:
  // {"tallybook:focus": "#selector"}), e.g. the line that took a removed line's place.
  document.body.addEventListener("tallybook:focus", function (event) {
    var target = event.detail && event.detail.value ? document.querySelector(event.detail.value) : null;
    if (target) { target.focus(); }
  });
  // The editor's live preview reloads (debounced, hx-trigger of #live-preview) after each answer to a change
  // made in the editor; the preview's own answers do not count.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.closest && elt.closest("#invoice-editor") && event.detail.successful &&
        (event.detail.requestConfig || {}).verb !== "get") {
      document.body.dispatchEvent(new CustomEvent("tallybook:edited"));
    }
  });
  // The editor's tabs (narrow screens): Edit and Preview; without JavaScript both panes show, one after the other.
  document.querySelectorAll(".editor-layout").forEach(function (layout) { layout.dataset.pane = "edit"; });
  document.addEventListener("click", function (event) {
    var tab = event.target.closest && event.target.closest("[data-pane-tab]");
    if (!tab) { return; }
    var layout = tab.closest(".editor-layout");
    layout.dataset.pane = tab.dataset.paneTab;
    layout.querySelectorAll("[data-pane-tab]").forEach(function (other) {
      var on = other === tab;
      other.setAttribute("aria-selected", on ? "true" : "false");
      other.classList.toggle("outline", !on);
    });
  });
  // The menu (<details id="nav-menu">) is open on wide screens, where its button is hidden (the CSS shows the links
  // there even when it is closed), and closed when the screen becomes narrow; on a phone its button opens it.
  var wideScreen = window.matchMedia("(min-width: 1200px)");
  function menuFollowsScreen() {
    var menu = document.getElementById("nav-menu");
    if (menu) { menu.open = wideScreen.matches; }
  }
  menuFollowsScreen();
  wideScreen.addEventListener("change", menuFollowsScreen);
  // The purchases inbox: files dropped on <label data-dropzone> go into its file input and the form is sent;
  // after an upload the form is emptied (the results list what became of each file).
  document.addEventListener("dragover", function (event) {
    var zone = event.target.closest && event.target.closest("[data-dropzone]");
    if (!zone) { return; }
    event.preventDefault();
    zone.classList.add("dragover");
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest("[data-dropzone]");
    if (zone) { zone.classList.remove("dragover"); }
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest("[data-dropzone]");
    if (!zone || !event.dataTransfer || !event.dataTransfer.files.length) { return; }
    event.preventDefault();
    zone.classList.remove("dragover");
    var input = zone.querySelector("input[type=file]");
    input.files = event.dataTransfer.files;
    input.form.requestSubmit();
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form.id === "inbox-form" && event.detail.successful) { form.reset(); }
  });
  // Close the account dropdown after a click elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.dropdown[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });
})();
