// The ROI dashboard's charts, drawn from the JSON the page carries (no inline script).
"use strict";

// Editing From or To switches the Period select to Custom (the server also treats dates that
// differ from the preset's own as Custom); choosing a preset empties From and To, so the
// preset's own dates (listed in the select) apply.
(function () {
  const preset = document.getElementById("preset");
  if (!preset) { return; }
  const inputs = ["start", "end"].map(function (id) { return document.getElementById(id); })
    .filter(Boolean);
  inputs.forEach(function (input) {
    input.addEventListener("change", function () { preset.value = "custom"; });
  });
  preset.addEventListener("change", function () {
    if (preset.value !== "custom") { inputs.forEach(function (input) { input.value = ""; }); }
  });
})();

(function () {
  const element = document.getElementById("report-data");
  if (!element || !window.Chart) { return; }
  const data = JSON.parse(element.textContent);
  const byCurrency = {};
  data.currencies.forEach(function (c) { byCurrency[c.currency] = c; });
  const colours = { joint: "#0d6efd", solo: "#adb5bd" };

  function perSpend(series) {
    return series.covered_reach.map(function (reach, i) {
      const spend = series.covered_spend_minor[i];
      return spend > 0 ? reach / (spend / 100) : null;
    });
  }

  document.querySelectorAll("canvas.report-chart").forEach(function (canvas) {
    const c = byCurrency[canvas.getAttribute("data-currency")];
    if (!c) { return; }
    const kind = canvas.getAttribute("data-chart");
    let config;
    if (kind === "channels") {
      config = { type: "bar", data: { labels: c.channels.labels, datasets: [
        { label: "Joint: daily reach, summed", data: c.channels.joint.reach, backgroundColor: colours.joint },
        { label: "Solo: daily reach, summed", data: c.channels.solo.reach, backgroundColor: colours.solo } ] } };
    } else if (kind === "months") {
      config = { type: "line", data: { labels: c.months.labels, datasets: [
        { label: "Joint: daily reach, summed, per unit spent", data: perSpend(c.months.joint), borderColor: colours.joint, spanGaps: true },
        { label: "Solo: daily reach, summed, per unit spent", data: perSpend(c.months.solo), borderColor: colours.solo, spanGaps: true } ] } };
    } else {
      config = { type: "bar", data: { labels: c.partners.labels, datasets: [
        { label: "Daily reach, summed, of joint campaigns", data: c.partners.reach, backgroundColor: colours.joint } ] } };
    }
    config.options = { animation: false, plugins: { legend: { position: "bottom" } },
                       scales: { y: { beginAtZero: true } } };
    canvas.setAttribute("data-drawn", "true");
    new window.Chart(canvas, config);
  });
})();
