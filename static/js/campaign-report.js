// The campaign report's charts (daily trend, weekly revenue, spend and reported cost, budget
// burn-down), drawn from the JSON the page carries in #campaign-report-data: the CSP allows no
// inline script.
"use strict";

(function () {
  const element = document.getElementById("campaign-report-data");
  if (!element || !window.Chart) { return; }
  const data = JSON.parse(element.textContent);
  const colours = { blue: "#0d6efd", grey: "#adb5bd", green: "#198754", orange: "#fd7e14",
                    purple: "#6f42c1" };

  function toMajor(values) {
    return values.map(function (value) {
      return value === null ? null : value / data.divisor;
    });
  }

  function line(label, values, colour, axis, extra) {
    return Object.assign({ type: "line", label: label, data: values, borderColor: colour,
                           backgroundColor: colour, pointRadius: 0, yAxisID: axis || "y" },
                         extra || {});
  }

  const builders = {
    daily: function () {
      const d = data.daily;
      return {
        type: "line",
        data: { labels: d.labels, datasets: [
          line("Impressions", d.impressions, colours.grey),
          line("Daily reach, summed", d.reach, colours.blue),
          line("Clicks", d.clicks, colours.orange, "y1"),
          line("Leads", d.leads, colours.green, "y1"),
          line("Conversions", d.conversions_hundredths.map(function (v) { return v === null ? null : v / 100; }), colours.purple, "y1") ] },
        options: { scales: {
          x: { ticks: { maxTicksLimit: 8 } },
          y: { beginAtZero: true, position: "left", title: { display: true, text: "People" } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                title: { display: true, text: "Clicks, leads, conversions" } } } },
      };
    },
    weekly: function () {
      const w = data.weekly;
      return {
        type: "bar",
        data: { labels: w.labels, datasets: [
          { label: "Revenue (" + data.currency + ")", data: toMajor(w.revenue_minor),
            backgroundColor: colours.green },
          { label: "Spend, ledger (" + data.currency + ")", data: toMajor(w.spend_minor),
            backgroundColor: colours.blue },
          { label: "Reported cost, results (" + data.currency + ")",
            data: toMajor(w.cost_minor), backgroundColor: colours.grey } ] },
        options: { scales: { y: { beginAtZero: true } } },
      };
    },
    burn: function () {
      const b = data.burn;
      return {
        type: "line",
        data: { labels: b.labels, datasets: [
          line("Committed", toMajor(b.committed), colours.grey, "y", { stepped: true }),
          line("Spent to date", toMajor(b.spent), colours.blue),
          line("Even burn of the commitments", toMajor(b.plan), colours.orange, "y",
               { borderDash: [6, 4] }) ] },
        options: { scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { beginAtZero: true } } },
      };
    },
  };

  document.querySelectorAll("canvas.campaign-chart").forEach(function (canvas) {
    const build = builders[canvas.getAttribute("data-chart")];
    if (!build) { return; }
    const config = build();
    config.options.animation = false;
    config.options.plugins = { legend: { position: "bottom" } };
    canvas.setAttribute("data-drawn", "true");
    new window.Chart(canvas, config);
  });
})();
