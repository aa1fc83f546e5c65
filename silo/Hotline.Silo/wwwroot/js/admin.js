// Admin wall screen: live metrics (Metrics event about once a second), charts and the lawyer roster.
import {
  $, addStrings, api, applyI18n, el, errorText, fmtDuration, fmtPercent, fmtTime, getLang, keepHub, labelOf, loadCatalog,
  onLangChange, renderConnectionBanner, setupLangSwitch, t, toast,
} from "./common.js";
import { clearAlerts, onAlert, reloadAlerts, renderAlerts, renderRegions, setupAlerts } from "./admin-alerts.js";
import { rosterActions, setupRoster } from "./admin-roster.js";
import { setupReport } from "./admin-report.js";

addStrings({
  "a.pageTitle": ["12351 运行监控", "12351 Operations"],
  "a.brand": ["12351 热线运行监控", "12351 Hotline operations"],
  "a.brandSub": ["职工维权热线 · 在线法律咨询 · 实时", "Worker-rights hotline · online legal help · live"],
  "a.orleans": ["Orleans 面板", "Orleans dashboard"], "a.apiDocs": ["API 文档", "API docs"], "a.csv": ["小时报表 CSV", "Hourly report CSV"],
  "a.logout": ["退出", "Sign out"],
  "a.loginTitle": ["管理员登录", "Admin sign-in"], "a.loginText": ["查看热线排队、律师在线和服务水平。", "Queues, lawyers online and service level."],
  "l.username": ["用户名", "Username"], "l.password": ["密码", "Password"], "l.login": ["登录", "Sign in"],
  "a.notAdmin": ["此账号不是管理员账号", "This account is not an admin account"],
  "a.badLogin": ["用户名或密码错误", "Wrong username or password"],
  "a.waiting": ["排队等待", "Waiting"], "a.activeNow": ["正在服务", "In conversation"], "a.closedToday": ["今日已办结", "Closed today"],
  "a.sl": ["服务水平（20秒接通率）", "Service level (20 s)"], "a.lawyersOnline": ["在线律师", "Lawyers online"], "a.oldest": ["最长等待", "Longest wait"],
  "a.offeredSub": ["其中 {n} 个正在派单", "{n} being offered"],
  "a.activeSub": ["占用率 {p}", "occupancy {p}"],
  "a.slSub": ["60秒接通率 {p} · 接通 {n}", "60 s: {p} · answered {n}"],
  "a.lawyersSub": ["空闲 {a} · 忙碌 {b} · 暂离 {w}", "free {a} · busy {b} · away {w}"],
  "a.reservedSub": ["{n} 人留给来电", "{n} held for a call"],
  "a.oldestSub": ["{c}", "{c}"],
  "a.abandonedSub": ["放弃 {n}", "abandoned {n}"],
  "a.silos": ["{n} 个节点", "{n} silos"],
  "a.chartQueues": ["各类别排队人数", "Waiting per category"],
  "a.chartTrend": ["排队与服务水平（近10分钟）", "Waiting and service level (10 min)"],
  "a.chartLawyers": ["律师状态", "Lawyers by state"],
  "a.queues": ["队列明细", "Queues"], "a.roster": ["律师名单", "Roster"],
  "a.category": ["类别", "Category"], "a.colWaiting": ["排队", "Waiting"], "a.colOldest": ["最长等待", "Oldest"], "a.colAvg": ["平均等待", "Avg wait"],
  "a.colAnswered": ["接通", "Answered"], "a.colAbandoned": ["放弃", "Abandoned"], "a.colAht": ["平均处理", "AHT"], "a.colNeeded": ["需律师", "Needed"],
  "a.lawyer": ["律师", "Lawyer"], "a.state": ["状态", "State"], "a.load": ["负荷", "Load"], "a.skills": ["擅长", "Skills"], "a.dialects": ["方言", "Dialects"],
  "a.updated": ["更新于 {t}", "Updated {t}"], "a.stale": ["数据已 {s} 秒未更新", "No update for {s} s"],
  "a.totalWaiting": ["排队总数", "Total waiting"], "a.slLine": ["服务水平 %", "Service level %"],
  "a.rosterCount": ["共 {n} 人", "{n} total"],
  "a.audit": ["审计日志", "Audit log"], "a.auditFilter": ["咨询编号（可选）", "Consultation id (optional)"], "a.auditLoad": ["查询", "Load"],
  "a.accessReason": ["查阅理由（10-500字）", "Reason to read this transcript (10-500 chars)"], "a.accessRequest": ["申请查阅记录", "Request transcript access"],
  "a.accessGranted": ["已授权查阅，至 {until}", "Access granted until {until}"],
  "a.auditAt": ["时间", "Time"], "a.auditActor": ["操作人", "Actor"], "a.auditAction": ["操作", "Action"],
  "a.auditConsultation": ["咨询", "Consultation"], "a.auditReason": ["理由", "Reason"],
  "a.noQueues": ["暂无数据", "No data yet"],
  "ls.available": ["空闲", "Available"], "ls.busy": ["忙碌", "Busy"], "ls.away": ["暂离", "Away"], "ls.offline": ["离线", "Offline"],
  "a.csvFailed": ["报表下载失败：{e}", "Report download failed: {e}"],
  "a.requeue": ["重新派单", "Put back to routing"], "a.requeueGo": ["放回队列", "Requeue"],
  "a.requeueLawyer": ["优先律师 ID（可选，lw-…）", "Preferred lawyer id (optional, lw-…)"],
  "a.requeueHelp": ["将排队、派单中或进行中的咨询放回派单（保留等待时长），可指定优先律师。",
    "Puts a queued, offered or active consultation back to routing (keeping its age), optionally preferring a lawyer."],
  "a.requeued": ["已放回队列：{id}", "Back in the queue: {id}"],
  "a.colRated": ["评价", "Rated"], "a.colSatisfaction": ["满意度", "Satisfaction"],
  "a.satSub": ["满意度 {s}（{n} 条评价）", "satisfaction {s} ({n} rated)"],
});

const SESSION_KEY = "hotline.admin";
const S = { session: null, catalog: null, hub: null, last: null, lastAt: 0, lawyersAt: 0, charts: {}, trend: [] };
const TREND_POINTS = 600;

function readSession() { try { return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null"); } catch { return null; } }
function showView(v) {
  $("#view-login").hidden = v !== "login";
  $("#view-wall").hidden = v !== "wall";
  $("#wall-links").hidden = v !== "wall";
}

async function login(ev) {
  ev.preventDefault();
  const err = $("#login-error");
  err.hidden = true;
  try {
    const r = await api("/api/auth/login", { method: "POST", body: { username: $("#login-username").value.trim(), password: $("#login-password").value } });
    if (r.role !== "admin") throw Object.assign(new Error(t("a.notAdmin")), { own: true });
    S.session = r;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(r));
    $("#login-password").value = "";
    enterWall();
  } catch (e) {
    err.hidden = false;
    err.textContent = e.own ? e.message : e.status === 401 ? t("a.badLogin") : errorText(e);
  }
}

function logout() {
  S.hub?.stop(); S.hub = null;
  clearAlerts();
  sessionStorage.removeItem(SESSION_KEY);
  S.session = null;
  renderConnectionBanner($("#connection-banner"), "connected");
  showView("login");
}

const authed = (path, opts = {}) => api(path, { ...opts, token: S.session?.token }).catch((e) => {
  if (e.status === 401) { logout(); toast(t("err.unauthorized"), "error"); }
  throw e;
});

async function enterWall() {
  showView("wall");
  try { S.catalog = await loadCatalog(); } catch { /* ids as labels */ }
  setupCharts();
  authed("/api/admin/metrics").then(onMetrics).catch(() => {});
  pollLawyers();
  loadAudit();
  // Union intelligence (issue 12): the alert panel and the roster editor live in their own modules.
  setupAlerts({ authed, catalog: S.catalog, onAudit: () => loadAudit() });
  setupRoster({ authed, catalog: S.catalog, refresh: refreshRoster });
  setupReport(() => S.session?.token, S.catalog);
  S.hub = keepHub("/hubs/admin", {
    token: () => S.session?.token,
    onState: (s) => {
      if (s === "unauthorized") { logout(); return; }
      renderConnectionBanner($("#connection-banner"), s);
    },
    handlers: { Metrics: onMetrics, Lawyers: (l) => { S.lawyersAt = Date.now(); renderRoster(l); }, Alert: onAlert },
    // Events are not replayed: after a reconnect the alert list is read again.
    onUp: (isReconnect) => { if (isReconnect) reloadAlerts(); },
  });
}

let rosterTimer;
/** Soon after the lawyer counts move (debounced), so the roster follows the tiles. */
function refreshRoster() {
  clearTimeout(rosterTimer);
  // Twice: the lawyers' own load counters follow the router's a moment later.
  const load = async () => { try { S.lawyersAt = Date.now(); renderRoster(await authed("/api/admin/lawyers")); } catch { /* next poll */ } };
  rosterTimer = setTimeout(() => { load(); rosterTimer = setTimeout(load, 1500); }, 300);
}

async function pollLawyers() {
  if (!S.session) return;
  if (Date.now() - S.lawyersAt > 4500) {
    try { renderRoster(await authed("/api/admin/lawyers")); } catch { /* keep the last roster */ }
  }
  setTimeout(pollLawyers, 5000);
}

// ---------- metrics ----------
function overallSl(queues, key = "serviceLevel") {
  let answered = 0, weighted = 0;
  for (const q of queues) { const n = q.answered || 0; answered += n; weighted += (q[key] ?? 0) * n; }
  return answered ? weighted / answered : null;
}

function onMetrics(m) {
  if (!m) return;
  S.last = m;
  S.lastAt = Date.now();
  const queues = m.queues || [];
  const waiting = queues.length ? queues.reduce((s, q) => s + (q.waiting || 0), 0) : m.consultations?.queued ?? 0;
  const sl = overallSl(queues), sl60 = overallSl(queues, "serviceLevel60");
  const answered = queues.reduce((s, q) => s + (q.answered || 0), 0);
  const abandoned = queues.reduce((s, q) => s + (q.abandoned || 0), 0);
  const oldest = queues.reduce((best, q) => (q.oldestWaitSeconds || 0) > (best?.oldestWaitSeconds || 0) ? q : best, null);
  const L = m.lawyers || {};
  const C = m.consultations || {};

  $("#tile-waiting").textContent = waiting;
  $("#tile-waiting-sub").textContent = t("a.offeredSub", { n: C.offered ?? 0 });
  $("#tile-active").textContent = C.active ?? "—";
  $("#tile-active-sub").textContent = L.occupancy != null ? t("a.activeSub", { p: fmtPercent(L.occupancy) }) : "";
  $("#tile-closed-today").textContent = C.closedToday ?? "—";
  // Satisfaction today: the mean of every rating given to today's closed consultations, over all categories.
  const rated = queues.reduce((s, q) => s + (q.rated || 0), 0);
  const ratingSum = queues.reduce((s, q) => s + (q.rated || 0) * (q.satisfaction || 0), 0);
  $("#tile-closed-sub").textContent = t("a.abandonedSub", { n: abandoned })
    + (rated ? ` · ${t("a.satSub", { s: (ratingSum / rated).toFixed(2), n: rated })}` : "");
  $("#tile-service-level").textContent = sl == null ? "—" : fmtPercent(sl);
  $("#tile-sl-sub").textContent = t("a.slSub", { p: sl60 == null ? "—" : fmtPercent(sl60), n: answered });
  $("#sl-tile").className = `tile ${sl == null ? "" : sl >= 0.8 ? "good" : sl >= 0.6 ? "warn" : "bad"}`;
  $("#tile-lawyers-online").textContent = L.online ?? "—";
  // Reserved: lawyers kept from new chats until a waiting phone call can be offered to one of them.
  $("#tile-lawyers-sub").textContent = t("a.lawyersSub", { a: L.available ?? 0, b: L.busy ?? 0, w: L.away ?? 0 })
    + (L.reserved ? ` · ${t("a.reservedSub", { n: L.reserved })}` : "")
    + (m.silos != null ? ` · ${t("a.silos", { n: m.silos })}` : "");
  const ow = oldest?.oldestWaitSeconds || 0;
  $("#tile-oldest").textContent = ow ? fmtDuration(ow) : "0";
  $("#tile-oldest").parentElement.className = `tile ${ow > 180 ? "bad" : ow > 60 ? "warn" : ""}`;
  $("#tile-oldest-sub").textContent = oldest && ow ? labelOf(S.catalog?.categories, oldest.category) : "";
  $("#occupancy").textContent = L.occupancy != null ? t("a.activeSub", { p: fmtPercent(L.occupancy) }) : "";

  const lawyerKey = JSON.stringify([L.online, L.available, L.busy, L.away, C.active]);
  if (S.lawyerKey !== undefined && S.lawyerKey !== lawyerKey) refreshRoster();
  S.lawyerKey = lawyerKey;
  renderQueues(queues);
  renderRegions(m.regions, S.catalog);
  pushTrend(m.at, waiting, sl);
  updateCharts(queues, L);
  renderUpdated();
}

function renderQueues(queues) {
  const cats = S.catalog?.categories?.map((c) => c.id) || [];
  const byCat = new Map(queues.map((q) => [q.category, q]));
  const rows = [...cats.map((id) => byCat.get(id) || { category: id, waiting: 0, answered: 0, abandoned: 0 }),
    ...queues.filter((q) => !cats.includes(q.category))];
  $("#queue-rows").replaceChildren(...(rows.length ? rows.map((q) => el(`tr${q.waiting > 0 && (q.oldestWaitSeconds || 0) > 60 ? ".hot" : ""}`, { "data-category": q.category },
    el("td", {}, labelOf(S.catalog?.categories, q.category)),
    el("td.num", {}, q.waiting ?? 0),
    el("td.num", {}, q.waiting ? fmtDuration(q.oldestWaitSeconds) : "—"),
    el("td.num", {}, q.answered ? fmtDuration(q.averageWaitSeconds) : "—"),
    el("td.num", {}, q.answered ? fmtPercent(q.serviceLevel) : "—"),
    el("td.num", {}, q.answered && q.serviceLevel60 != null ? fmtPercent(q.serviceLevel60) : "—"),
    el("td.num", {}, q.answered ?? 0),
    el("td.num", {}, q.abandoned ?? 0),
    el("td.num", {}, q.averageHandleSeconds ? fmtDuration(q.averageHandleSeconds) : "—"),
    el("td.num", {}, q.lawyersNeeded ?? "—"),
    el("td.num", { "data-col": "rated" }, q.rated ?? 0),
    el("td.num", { "data-col": "satisfaction" }, q.satisfaction != null ? q.satisfaction.toFixed(2) : "—"))) : [el("tr", {}, el("td", { colspan: 12, class: "muted" }, t("a.noQueues")))]));
}

function renderUpdated() {
  const node = $("#updated-at");
  if (!S.lastAt) { node.textContent = "—"; return; }
  const age = Math.round((Date.now() - S.lastAt) / 1000);
  const at = new Date(S.last?.at || S.lastAt);
  const stale = age > 5;
  node.classList.toggle("stale", stale);
  node.dataset.at = S.last?.at || "";
  node.textContent = stale ? t("a.stale", { s: age }) : t("a.updated", { t: at.toLocaleTimeString(getLang() === "en" ? "en-GB" : "zh-CN", { hour12: false }) });
}

// ---------- roster ----------
const STATE_ORDER = { available: 0, busy: 1, away: 2, offline: 3 };
function rosterState(l) {
  // As the server's Metrics count them: online and serving at least one consultation = busy.
  if (l.status === "available" && l.activeCount > 0) return "busy";
  return l.status || "offline";
}
function renderRoster(lawyers) {
  if (!Array.isArray(lawyers)) return;
  const list = [...lawyers].sort((a, b) => (STATE_ORDER[rosterState(a)] - STATE_ORDER[rosterState(b)]) || String(a.displayName).localeCompare(String(b.displayName), "zh-CN"));
  $("#roster-count").textContent = t("a.rosterCount", { n: list.length });
  $("#roster-rows").replaceChildren(...list.map((l) => {
    const st = rosterState(l);
    const pct = l.capacity ? Math.min(100, Math.round((l.activeCount / l.capacity) * 100)) : 0;
    return el("tr", { "data-testid": "roster-row", "data-lawyer-id": l.id, "data-status": l.status, "data-disabled": String(!!l.disabled) },
      el("td", {}, el("div", { style: "font-weight:700" }, l.displayName || l.username), el("div.small", { style: "color:#8c9fbd" }, l.username)),
      el("td", {}, el("span.pill", { "data-status": st }, t(`ls.${st}`))),
      el("td", { style: "white-space:nowrap" }, el(`span.load${pct >= 100 ? ".full" : ""}`, {}, el("i", { style: `width:${pct}%` })), `${l.activeCount ?? 0}/${l.capacity ?? "?"}`),
      el("td", {}, (l.skills || []).map((s) => el("span.chip", {}, labelOf(S.catalog?.categories, s)))),
      el("td", {}, (l.dialects || []).map((d) => el("span.chip", {}, labelOf(S.catalog?.dialects, d)))),
      el("td.nowrap", {}, rosterActions(l)));
  }));
  S.roster = lawyers;
}

// ---------- audit ----------
async function loadAudit(ev) {
  ev?.preventDefault();
  const id = $("#audit-consultation").value.trim();
  try {
    const rows = await authed("/api/admin/audit" + (id ? `?consultationId=${encodeURIComponent(id)}` : ""));
    $("#audit-count").textContent = ` ${rows.length}`;
    $("#audit-rows").replaceChildren(...rows.slice(0, 200).map((e) => el("tr", { "data-testid": "audit-row", "data-action": e.action },
      el("td", {}, fmtTime(e.at)), el("td", {}, `${e.actorId} (${e.actorRole})`), el("td", {}, e.action),
      el("td.small", {}, e.consultationId || ""), el("td.small", {}, e.reason || ""))));
  } catch (e) { toast(errorText(e), "error"); }
}

/** Transcript access is granted per consultation, for 30 minutes, with a reason that goes into the audit log. */
async function requestAccess(ev) {
  ev.preventDefault();
  const id = $("#audit-consultation").value.trim();
  try {
    const grant = await authed(`/api/admin/consultations/${encodeURIComponent(id)}/access`, { method: "POST", body: { reason: $("#access-reason").value.trim() } });
    toast(t("a.accessGranted", { until: fmtTime(grant.until) }));
    loadAudit();
  } catch (e) { toast(errorText(e), "error"); }
}

// ---------- charts ----------
function setupCharts() {
  if (!window.Chart || S.charts.queues) return;
  Chart.defaults.color = "#c9d7ec";
  Chart.defaults.borderColor = "#1c3d6b";
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 13;
  Chart.defaults.animation = { duration: 300 };
  Chart.defaults.maintainAspectRatio = false;
  S.charts.queues = new Chart($("#chart-queues"), {
    type: "bar",
    data: { labels: [], datasets: [
      { label: t("a.colWaiting"), data: [], backgroundColor: "#e8354f", borderRadius: 5 },
      { label: t("a.colNeeded"), data: [], backgroundColor: "#3d7bd6", borderRadius: 5 },
    ] },
    options: { plugins: { legend: { position: "bottom" } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { grid: { display: false } } } },
  });
  S.charts.trend = new Chart($("#chart-trend"), {
    type: "line",
    data: { labels: [], datasets: [
      { label: t("a.totalWaiting"), data: [], borderColor: "#e8354f", backgroundColor: "rgba(232,53,79,.15)", fill: true, tension: .3, pointRadius: 0, yAxisID: "y" },
      { label: t("a.slLine"), data: [], borderColor: "#54e39a", tension: .3, pointRadius: 0, yAxisID: "y1", spanGaps: true },
    ] },
    options: {
      animation: false, interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } },
      scales: {
        x: { ticks: { maxTicksLimit: 6, maxRotation: 0 }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { precision: 0 }, position: "left" },
        y1: { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false }, ticks: { callback: (v) => `${v}%` } },
      },
    },
  });
  S.charts.lawyers = new Chart($("#chart-lawyers"), {
    type: "doughnut",
    data: { labels: [t("ls.available"), t("ls.busy"), t("ls.away")], datasets: [{ data: [0, 0, 0], backgroundColor: ["#54e39a", "#e8354f", "#ffc857"], borderColor: "#0e2a4f", borderWidth: 3 }] },
    options: { cutout: "62%", plugins: { legend: { position: "bottom" } } },
  });
}

function pushTrend(at, waiting, sl) {
  const d = at ? new Date(at) : new Date();
  S.trend.push({ label: d.toLocaleTimeString(getLang() === "en" ? "en-GB" : "zh-CN", { hour12: false }), waiting, sl: sl == null ? null : Math.round(sl * 1000) / 10 });
  if (S.trend.length > TREND_POINTS) S.trend.splice(0, S.trend.length - TREND_POINTS);
}

function updateCharts(queues, L) {
  if (!S.charts.queues) { setupCharts(); if (!S.charts.queues) return; }
  const cats = S.catalog?.categories?.map((c) => c.id) || queues.map((q) => q.category);
  const byCat = new Map(queues.map((q) => [q.category, q]));
  const ids = [...new Set([...cats, ...queues.map((q) => q.category)])];
  const qc = S.charts.queues;
  qc.data.labels = ids.map((id) => labelOf(S.catalog?.categories, id));
  qc.data.datasets[0].data = ids.map((id) => byCat.get(id)?.waiting ?? 0);
  qc.data.datasets[1].data = ids.map((id) => byCat.get(id)?.lawyersNeeded ?? 0);
  qc.data.datasets[1].hidden = !queues.some((q) => q.lawyersNeeded != null);
  qc.update();
  const tc = S.charts.trend;
  tc.data.labels = S.trend.map((p) => p.label);
  tc.data.datasets[0].data = S.trend.map((p) => p.waiting);
  tc.data.datasets[1].data = S.trend.map((p) => p.sl);
  tc.update("none");
  const lc = S.charts.lawyers;
  lc.data.datasets[0].data = [L.available ?? 0, L.busy ?? 0, L.away ?? 0];
  lc.update();
}

function relabelCharts() {
  const c = S.charts;
  if (!c.queues) return;
  c.queues.data.datasets[0].label = t("a.colWaiting"); c.queues.data.datasets[1].label = t("a.colNeeded");
  c.trend.data.datasets[0].label = t("a.totalWaiting"); c.trend.data.datasets[1].label = t("a.slLine");
  c.lawyers.data.labels = [t("ls.available"), t("ls.busy"), t("ls.away")];
  if (S.last) onMetrics(S.last); else Object.values(c).forEach((x) => x.update());
}

// ---------- report ----------
async function downloadCsv(ev) {
  ev.preventDefault();
  try {
    const res = await api("/api/admin/reports/hourly?format=csv", { token: S.session?.token, accept: "text/csv" });
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: `hotline-hourly-${new Date().toISOString().slice(0, 10)}.csv` });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) { toast(t("a.csvFailed", { e: errorText(e) }), "error"); }
}

/** Any consultation back to routing (contract "Nobody stranded"). */
async function requeue(ev) {
  ev.preventDefault();
  const id = $("#requeue-id").value.trim();
  const lawyer = $("#requeue-lawyer").value.trim();
  try {
    await authed(`/api/admin/consultations/${encodeURIComponent(id)}/requeue`, { method: "POST", body: lawyer ? { toLawyerId: lawyer } : {} });
    toast(t("a.requeued", { id }), "info");
    $("#requeue-id").value = "";
  } catch (e) {
    toast(errorText(e), "error");
  }
}

async function boot() {
  setupLangSwitch($("#lang-switch"));
  applyI18n();
  onLangChange(() => { relabelCharts(); if (S.roster) renderRoster(S.roster); renderUpdated(); renderAlerts(); });
  $("#login-form").addEventListener("submit", login);
  $("#audit-form").addEventListener("submit", loadAudit);
  $("#access-form").addEventListener("submit", requestAccess);
  $("#logout").addEventListener("click", logout);
  $("#report-csv").addEventListener("click", downloadCsv);
  $("#requeue-form").addEventListener("submit", requeue);
  setInterval(renderUpdated, 1000);

  if (new URLSearchParams(location.search).has("demo")) {
    const { adminDemo } = await import("./demo.js");
    return adminDemo({ S, showView, setupCharts, onMetrics, renderRoster });
  }
  S.session = readSession();
  if (S.session?.token && S.session.role === "admin") enterWall(); else showView("login");
}

boot();
