// Polls a running import's progress and reloads the page when it has finished.
(function () {
  "use strict";
  var box = document.getElementById("import-status");
  if (!box) { return; }
  var status = box.getAttribute("data-status");
  if (status !== "queued" && status !== "running") { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("progress");
  var rows = box.querySelector("[data-rows]");
  var note = box.querySelector("[data-state-note]");
  var notes = {
    waiting: "Waiting for a worker… this page updates by itself.",
    running: "Importing… this page updates by itself.",
    interrupted: "Interrupted: the worker running this import stopped. Nothing of it was stored; it will be run again from the start shortly.",
    retrying: "Interrupted: nothing of the last attempt was stored; it will be run again from the start shortly."
  };
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.finished) { window.location.reload(); return; }
        if (bar) { bar.value = state.progress; }
        if (rows) { rows.textContent = Number(state.rows).toLocaleString(); }
        if (note && state.state && notes[state.state] && note.getAttribute("data-state") !== state.state) {
          note.textContent = notes[state.state];
          note.setAttribute("data-state", state.state);
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
