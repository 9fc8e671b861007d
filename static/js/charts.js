// Charts drawn from JSON embedded in the page (<script type="application/json">): the CSP
// allows no inline script, so the data travels as inert JSON and this file draws it.
"use strict";

(function () {
  function readJson(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  const burn = readJson("burn-data");
  const canvas = document.getElementById("burn-chart");
  if (burn && canvas && window.Chart) {
    const toMajor = function (value) {
      return value === null ? null : value / burn.divisor;
    };
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: burn.labels,
        datasets: [
          { label: "Spent so far (" + burn.currency + ")", data: burn.actual.map(toMajor),
            borderColor: "#0d6efd", pointRadius: 0, spanGaps: false },
          { label: "Even burn of the commitments", data: burn.plan.map(toMajor),
            borderColor: "#adb5bd", borderDash: [6, 4], pointRadius: 0 },
        ],
      },
      options: {
        animation: false,
        scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { beginAtZero: true } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
})();
