// The console's only script. Everything but the live parts works without JavaScript.

// Live lists: a table body marked data-live="alert" or "rollback" gets each new row, rendered (and escaped) by the
// console, on top. The element says when its stream is connected.
document.addEventListener("DOMContentLoaded", () => {
  const lists = document.querySelectorAll("[data-live]");
  if (!lists.length) return;
  const events = new EventSource("/live/events");
  events.addEventListener("open", () => lists.forEach((list) => { list.dataset.connected = "true"; }));
  lists.forEach((list) => {
    events.addEventListener(list.dataset.live, (e) => {
      list.insertAdjacentHTML("afterbegin", e.data);
      document.getElementById("no-" + list.dataset.live + "s")?.remove();
    });
  });
});

// Live charts of a flag's page: treatment against control per window, with alerts, automatic actions and audited
// changes drawn across the same time axis. Data: Server-Sent Events from /live/flags/{key}, and what came before
// from /flags/{key}/series.json.
(function () {
  "use strict";
  const section = document.getElementById("live");
  if (!section || typeof Chart === "undefined") {
    return;
  }
  const flag = section.dataset.flag;
  const metrics = ["successRate", "errorRate", "p95Ms", "pendingMutations"];
  const colors = { TREATMENT: "#d9480f", CONTROL: "#1c7ed6" };
  const markerColors = { alert: "#b3261e", resolved: "#1e7b34", rollback: "#000000", rollout: "#1e7b34", change: "#7c8896" };
  const windows = new Map(); // "cohort|kind|start" -> point
  const markers = new Map(); // id -> marker
  const status = document.getElementById("window-status");

  const time = (ms) => new Date(ms).toISOString().substring(11, 19);

  // Vertical lines for markers, drawn by the charts themselves so they share the time axis.
  const markerPlugin = {
    id: "rollguardMarkers",
    afterDatasetsDraw(chart) {
      const x = chart.scales.x;
      const area = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      for (const m of markers.values()) {
        if (m.at < x.min || m.at > x.max) continue;
        const px = x.getPixelForValue(m.at);
        ctx.strokeStyle = markerColors[m.kind] || "#7c8896";
        ctx.lineWidth = m.kind === "change" ? 1 : 2;
        ctx.setLineDash(m.kind === "change" ? [4, 3] : []);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
      }
      ctx.restore();
    },
  };

  const charts = {};
  for (const metric of metrics) {
    const canvas = document.getElementById("chart-" + metric);
    charts[metric] = new Chart(canvas, {
      type: "line",
      data: {
        datasets: ["TREATMENT", "CONTROL"].map((cohort) => ({
          label: cohort.toLowerCase(),
          data: [],
          borderColor: colors[cohort],
          backgroundColor: colors[cohort],
          pointRadius: 2,
          spanGaps: false,
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: { type: "linear", ticks: { callback: (v) => time(v), maxTicksLimit: 6 } },
          y: { beginAtZero: metric !== "successRate" },
        },
        plugins: {
          tooltip: { callbacks: { title: (items) => items.length ? "window ending " + time(items[0].parsed.x) : "" } },
        },
      },
      plugins: [markerPlugin],
    });
  }

  function redraw() {
    // Plot one kind of window: tumbling when there are any, else hopping.
    const all = [...windows.values()];
    const kind = all.some((p) => p.kind === "TUMBLING") ? "TUMBLING" : "HOPPING";
    const shown = all.filter((p) => p.kind === kind).sort((a, b) => a.end - b.end);
    const ends = shown.map((p) => p.end);
    const min = Math.min(...ends, ...[...markers.values()].map((m) => m.at));
    const max = Math.max(...ends, ...[...markers.values()].map((m) => m.at));
    for (const metric of metrics) {
      const chart = charts[metric];
      ["TREATMENT", "CONTROL"].forEach((cohort, i) => {
        chart.data.datasets[i].data = shown
          .filter((p) => p.cohort === cohort)
          .map((p) => ({ x: p.end, y: p[metric] === null || p[metric] === undefined ? null : p[metric] }));
      });
      if (isFinite(min) && isFinite(max)) {
        chart.options.scales.x.min = min - 1000;
        chart.options.scales.x.max = max + 1000;
      }
      chart.update();
    }
    const last = shown.length ? shown[shown.length - 1] : null;
    const count = new Set(shown.map((p) => p.end)).size;
    section.dataset.windows = String(count);
    status.textContent = count
      ? count + " windows, last closed " + time(last.end) + " UTC"
      : "Waiting for windows…";
  }

  function addWindow(p) {
    windows.set(p.cohort + "|" + p.kind + "|" + p.start, p);
  }

  function addMarker(m) {
    if (m && m.id) markers.set(m.id, m);
  }

  // Subscribe first, then load what came before: nothing that arrives in between is missed (both merge by id).
  const events = new EventSource("/live/flags/" + encodeURIComponent(flag));
  events.addEventListener("open", () => { section.dataset.connected = "true"; });
  events.addEventListener("window", (e) => {
    addWindow(JSON.parse(e.data));
    redraw();
    // A closed window is what the guard judges next: the verdict section (htmx) reloads shortly after.
    document.body.dispatchEvent(new Event("guard-refresh"));
  });
  events.addEventListener("marker", (e) => {
    const marker = JSON.parse(e.data);
    addMarker(marker);
    redraw();
    // A step of the promoter moved the rollout: its section and the list of steps reload (htmx).
    if (marker.kind === "rollout") document.body.dispatchEvent(new Event("rollout-refresh"));
  });
  // The flag changed (a control, the guard, the promoter): the rollout section reloads.
  events.addEventListener("flag", () => document.body.dispatchEvent(new Event("rollout-refresh")));
  fetch("/flags/" + encodeURIComponent(flag) + "/series.json", { headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : { windows: [], markers: [] }))
    .then((series) => {
      series.windows.forEach(addWindow);
      series.markers.forEach(addMarker);
      redraw();
    });
})();
