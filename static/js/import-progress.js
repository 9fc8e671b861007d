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
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.finished) { window.location.reload(); return; }
        if (bar) { bar.value = state.progress; }
        if (rows) { rows.textContent = Number(state.rows).toLocaleString(); }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
