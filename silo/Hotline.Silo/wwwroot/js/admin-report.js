// Admin wall: the date-range report (GET /api/admin/reports/range) with the hourly history chart (chart.js, from
// lib/chart.umd.min.js) and per-day, per-category and per-region tables. Days and hours are in Hotline:TimeZone.
import { $, addStrings, api, el, errorText, fmtDuration, fmtPercent, labelOf, onLangChange, t, toast } from "./common.js";

addStrings({
  "rp.title": ["区间报表", "Date-range report"],
  "rp.from": ["从", "From"], "rp.to": ["到", "To"], "rp.load": ["生成报表", "Build report"],
  "rp.zone": ["时区 {z}，按当地日期和小时统计（保留最近 {d} 天的小时数据）", "Time zone {z}: local days and hours (hourly history kept {d} days)"],
  "rp.total": ["来访 {a} · 接通 {b} · 放弃 {c} · 办结 {d} · 平均等待 {w} · SL20 {s} · 评价 {r} · 满意度 {q}",
    "Arrived {a} · answered {b} · abandoned {c} · closed {d} · avg wait {w} · SL20 {s} · rated {r} · satisfaction {q}"],
  "rp.day": ["日期", "Day"], "rp.region": ["地区", "Region"], "rp.category": ["类别", "Category"],
  "rp.arrived": ["来访", "Arrived"], "rp.answered": ["接通", "Answered"], "rp.abandoned": ["放弃", "Abandoned"], "rp.closed": ["办结", "Closed"],
  "rp.avg": ["平均等待", "Avg wait"], "rp.rated": ["评价", "Rated"], "rp.sat": ["满意度", "Satisfaction"],
  "rp.hourly": ["逐小时历史", "Hourly history"], "rp.noRegion": ["（无地区数据）", "(no region named)"],
});

const R = { token: null, catalog: null, chart: null, last: null };

function localDay(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

const num = (v) => el("td.num", {}, v ?? 0);
const sat = (f) => (f.satisfaction == null ? "—" : f.satisfaction.toFixed(2));

function row(label, f, withClosed = true) {
  return el("tr", { "data-key": f.key }, el("td", {}, label), num(f.arrived), num(f.answered), num(f.abandoned),
    ...(withClosed ? [num(f.closed)] : []),
    el("td.num", {}, f.answered ? fmtDuration(f.averageWaitSeconds) : "—"), el("td.num", {}, f.answered ? fmtPercent(f.serviceLevel) : "—"),
    ...(withClosed ? [num(f.rated), el("td.num", {}, sat(f))] : []));
}

function render() {
  const r = R.last;
  if (!r) return;
  const f = r.total;
  $("#report-zone").textContent = t("rp.zone", { z: r.timezone, d: r.retentionDays });
  $("#report-total").textContent = t("rp.total", {
    a: f.arrived, b: f.answered, c: f.abandoned, d: f.closed, w: f.answered ? fmtDuration(f.averageWaitSeconds) : "—",
    s: f.answered ? fmtPercent(f.serviceLevel) : "—", r: f.rated, q: sat(f),
  });
  $("#report-days").replaceChildren(...r.days.map((d) => row(d.key, d)));
  $("#report-categories").replaceChildren(...r.categories.map((c) => row(labelOf(R.catalog?.categories, c.key), c)));
  $("#report-regions").replaceChildren(...(r.regions.length
    ? r.regions.map((x) => row(labelOf(R.catalog?.regions, x.key), x, false))
    : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, t("rp.noRegion")))]));
  drawChart(r);
}

function drawChart(r) {
  if (!window.Chart) return;
  // The hour's local wall time as the zone shows it (the key carries the zone's offset).
  const labels = r.hours.map((h) => `${h.key.slice(5, 10)} ${h.key.slice(11, 13)}:00`);
  const sets = [["rp.arrived", "arrived", "#7fb2ff"], ["rp.answered", "answered", "#38c172"], ["rp.abandoned", "abandoned", "#e3342f"]]
    .map(([label, field, color]) => ({ label: t(label), data: r.hours.map((h) => h[field]), borderColor: color, backgroundColor: color, pointRadius: 0, tension: 0.2 }));
  if (R.chart) {
    R.chart.data.labels = labels;
    R.chart.data.datasets = sets;
    R.chart.update();
    return;
  }
  R.chart = new Chart($("#chart-report"), {
    type: "line",
    data: { labels, datasets: sets },
    options: { interaction: { mode: "index", intersect: false }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 12 } } } },
  });
}

async function load(ev) {
  ev?.preventDefault();
  const from = $("#report-from").value, to = $("#report-to").value;
  try {
    R.last = await api(`/api/admin/reports/range?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { token: R.token() });
    $("#report").dataset.loaded = "true";
    render();
  } catch (e) {
    toast(errorText(e), "error");
  }
}

/** `token()`: the admin's bearer token; `catalog`: labels for categories and regions. */
export function setupReport(token, catalog) {
  R.token = token;
  R.catalog = catalog;
  if (!$("#report")) return;
  if (!$("#report-from").value) { $("#report-from").value = localDay(-6); $("#report-to").value = localDay(0); }
  $("#report-form").addEventListener("submit", load);
  onLangChange(() => { if (R.chart) { R.chart.destroy(); R.chart = null; } render(); });
  load();
}
