/* Dashboard charts: reads the daily series from <script type="application/json" id="series"> (data,
   never executed) and draws each chart with the vendored Chart.js. Every chart has a data table next to
   it, so nothing depends on this script. */
(function () {
  "use strict";

  function start() {
    var source = document.getElementById("series");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var series = JSON.parse(source.textContent);
    var percentAxis = { beginAtZero: true, suggestedMax: 100, ticks: { callback: function (v) { return v + " %"; } } };
    var charts = {
      conversations: {
        type: "bar",
        data: { labels: series.labels, datasets: [{ label: "Conversations", data: series.conversations, backgroundColor: "#0b57a4" }] },
        options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
      },
      rates: {
        type: "line",
        data: {
          labels: series.labels,
          datasets: [
            { label: "Automated resolution rate", data: series.automated_resolution_rate, borderColor: "#1e7e34", backgroundColor: "#1e7e34", spanGaps: true },
            { label: "Handoff rate", data: series.handoff_rate, borderColor: "#b00020", backgroundColor: "#b00020", spanGaps: true }
          ]
        },
        options: { scales: { y: percentAxis } }
      },
      csat: {
        type: "line",
        data: { labels: series.labels, datasets: [{ label: "CSAT", data: series.csat, borderColor: "#8a4b00", backgroundColor: "#8a4b00", spanGaps: true }] },
        options: { scales: { y: percentAxis } }
      }
    };
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) {
      var config = charts[canvases[i].getAttribute("data-chart")];
      // The series' names in the page's language, written by the template (this file has no UI strings).
      var names = JSON.parse(canvases[i].getAttribute("data-labels") || "[]");
      if (config) {
        for (var d = 0; d < config.data.datasets.length && d < names.length; d++) {
          config.data.datasets[d].label = names[d];
        }
        config.options.animation = false;
        config.options.aspectRatio = 3;
        new window.Chart(canvases[i], config);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
