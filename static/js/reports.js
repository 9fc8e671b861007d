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
    const behind = campaignsBehind(c, kind);
    const drill = document.querySelector('[data-drill-for="' + kind + "-" + c.currency + '"]');
    config.options = { animation: false, plugins: { legend: { position: "bottom" } },
                       scales: { y: { beginAtZero: true } },
                       onClick: function (event, elements) {
                         if (elements.length) {
                           openCampaigns(behind(elements[0].datasetIndex, elements[0].index),
                                         config.data.labels[elements[0].index], drill);
                         }
                       },
                       onHover: function (event, elements) {
                         canvas.classList.toggle("chart-pointer", elements.length > 0);
                       } };
    canvas.setAttribute("data-drawn", "true");
    new window.Chart(canvas, config);
  });

  // The campaigns behind one bar or point: {ids, total} (reports/chart_links.py).
  function campaignsBehind(c, kind) {
    return function (datasetIndex, index) {
      const series = c[kind].campaigns;
      if (kind === "partners") { return series[index]; }
      return series[datasetIndex === 0 ? "joint" : "solo"][index];
    };
  }

  // One campaign: open it. Several: list them under the chart, as links.
  function openCampaigns(point, label, drill) {
    if (!point || !point.total) { return; }
    if (point.total === 1) {
      window.location.assign(data.campaigns[String(point.ids[0])].url);
      return;
    }
    if (!drill) { return; }
    drill.textContent = label + ": ";
    point.ids.forEach(function (id, i) {
      const link = document.createElement("a");
      link.href = data.campaigns[String(id)].url;
      link.textContent = data.campaigns[String(id)].name;
      drill.appendChild(link);
      if (i < point.ids.length - 1) { drill.appendChild(document.createTextNode(", ")); }
    });
    if (point.total > point.ids.length) {
      drill.appendChild(document.createTextNode(" and " + (point.total - point.ids.length) + " more"));
    }
    drill.querySelector("a").focus();
  }
})();
