// Admin wall: collective-dispute alerts (contract "Union intelligence", issue 12) and per-region load.
// Alerts load from GET /api/admin/alerts and follow the admin hub's `Alert` event; acknowledge and close are REST calls.
// An alert's related consultations show metadata only; their transcripts open only through the audited grant
// (admin-access.js): a reason, a 30-minute grant, then the read, all in the audit log.
import { $, addStrings, el, errorText, fmtDuration, fmtPercent, fmtTime, labelOf, t, toast } from "./common.js";
import { requestAccess, showTranscript, statusLabel } from "./admin-access.js";

addStrings({
  "al.title": ["集体争议预警", "Collective-dispute alerts"],
  "al.help": ["同一用人单位在时间窗口内有多名职工来询时自动预警。", "Raised when several workers name one employer within the window."],
  "al.showClosed": ["显示已关闭", "Show closed"],
  "al.none": ["暂无预警", "No alerts"],
  "al.count": ["{n} 条未关闭", "{n} not closed"],
  "al.workers": ["{n} 名职工", "{n} workers"],
  "al.consultations": ["{n} 件咨询", "{n} consultations"],
  "al.span": ["首次 {a} · 最近 {b}", "first {a} · last {b}"],
  "al.st.open": ["待处理", "Open"], "al.st.acknowledged": ["已确认", "Acknowledged"], "al.st.closed": ["已关闭", "Closed"],
  "al.ack": ["确认", "Acknowledge"], "al.close": ["关闭", "Close"],
  "al.related": ["关联咨询", "Related consultations"], "al.hide": ["收起", "Hide"],
  "al.relatedCount": ["同单位另有 {n} 件", "{n} others, same employer"],
  "al.reason": ["查阅理由（10-500字，记入审计）", "Reason (10-500 chars, audited)"],
  "al.read": ["申请并查阅记录", "Request access and read"],
  "al.new": ["新的集体争议预警：{e}", "New collective-dispute alert: {e}"],
  "al.changed": ["预警已更新：{e}", "Alert updated: {e}"],
  "rg.title": ["各地区", "By region"],
  "rg.region": ["地区", "Region"], "rg.waiting": ["排队", "Waiting"], "rg.offered": ["派单中", "Offered"], "rg.arrived": ["今日来询", "Arrived today"],
  "rg.answered": ["今日接通", "Answered today"], "rg.abandoned": ["放弃", "Abandoned"], "rg.asa": ["平均等待", "Avg wait"],
  "rg.none": ["今日暂无填写地区的咨询", "No consultation named a region today"],
});

const STATUS_ORDER = { open: 0, acknowledged: 1, closed: 2 };
/** Alerts by id, the consultation rows of the expanded ones, and what the page gave us. */
const A = { alerts: new Map(), expanded: new Map(), authed: null, catalog: null, onAudit: null, fresh: new Set() };

/** Wires the panel: `authed` is the page's authenticated fetch, `onAudit` refreshes its audit log after a grant. */
export function setupAlerts({ authed, catalog, onAudit }) {
  Object.assign(A, { authed, catalog, onAudit });
  $("#alerts-show-closed").onchange = renderAlerts;
  return reloadAlerts();
}

/** Initial load and reload after a reconnect (hub events are not replayed; the list is). */
export async function reloadAlerts() {
  if (!A.authed) return;
  try {
    const list = await A.authed("/api/admin/alerts");
    A.alerts = new Map(list.map((a) => [a.id, a]));
    renderAlerts();
  } catch (e) { toast(errorText(e), "error"); }
}

/** Admin hub `Alert`: an alert opened, grew or changed status. */
export function onAlert(alert) {
  if (!alert?.id) return;
  const before = A.alerts.get(alert.id);
  A.alerts.set(alert.id, alert);
  if (!before) { A.fresh.add(alert.id); toast(t("al.new", { e: alert.employer }), "error"); }
  // Open related lists follow the alert (a new consultation joined it).
  if (A.expanded.has(alert.id) && before?.consultationIds?.length !== alert.consultationIds?.length) loadRelated(alert.id);
  renderAlerts();
}

export function clearAlerts() {
  A.alerts.clear(); A.expanded.clear(); A.fresh.clear(); A.authed = null;
}

function sorted() {
  const showClosed = $("#alerts-show-closed")?.checked;
  return [...A.alerts.values()].filter((a) => showClosed || a.status !== "closed")
    .sort((a, b) => (STATUS_ORDER[a.status] - STATUS_ORDER[b.status]) || String(b.lastAt).localeCompare(String(a.lastAt)));
}

export function renderAlerts() {
  const list = $("#alert-list");
  if (!list) return;
  const notClosed = [...A.alerts.values()].filter((a) => a.status !== "closed").length;
  $("#alerts-count").textContent = t("al.count", { n: notClosed });
  $("#alerts-card").classList.toggle("has-open", [...A.alerts.values()].some((a) => a.status === "open"));
  const rows = sorted();
  list.replaceChildren(...(rows.length ? rows.map(renderAlert) : [el("li.empty", {}, t("al.none"))]));
}

function renderAlert(a) {
  const related = A.expanded.get(a.id);
  return el(`li.alert-item${A.fresh.has(a.id) ? ".fresh" : ""}`, { "data-testid": "alert", "data-alert-id": a.id, "data-status": a.status, "data-employer-key": a.employerKey },
    el("div.alert-top", {},
      el("span.alert-employer", { "data-testid": "alert-employer" }, a.employer),
      el("span.alert-status", { "data-testid": "alert-status", "data-status": a.status }, t(`al.st.${a.status}`))),
    el("div.small.alert-facts", {},
      a.region ? el("span.chip", {}, labelOf(A.catalog?.regions, a.region)) : null,
      el("span", { "data-testid": "alert-workers", "data-count": a.workers }, t("al.workers", { n: a.workers })), " · ",
      el("span", { "data-testid": "alert-consultation-count", "data-count": a.consultationIds?.length ?? 0 }, t("al.consultations", { n: a.consultationIds?.length ?? 0 })), " · ",
      t("al.span", { a: fmtTime(a.firstAt), b: fmtTime(a.lastAt) })),
    el("div.alert-actions", {},
      a.status === "open" ? el("button.btn.btn-blue.btn-sm", { type: "button", "data-testid": "alert-ack", onclick: () => act(a, "acknowledge") }, t("al.ack")) : null,
      a.status !== "closed" ? el("button.btn.btn-outline.btn-sm", { type: "button", "data-testid": "alert-close", onclick: () => act(a, "close") }, t("al.close")) : null,
      el("button.btn.btn-outline.btn-sm", { type: "button", "data-testid": "alert-related", "aria-expanded": String(!!related), onclick: () => toggleRelated(a.id) },
        related ? t("al.hide") : t("al.related"))),
    related ? el("ul.alert-related", { "data-testid": "alert-related-list" }, related.map((c) => renderRelated(c))) : null);
}

function renderRelated(c) {
  const reason = el("input.input.input-sm", { "data-testid": "alert-access-reason", minlength: 10, maxlength: 500, placeholder: t("al.reason") });
  const error = el("span.error-text.small", { "data-testid": "alert-access-error", hidden: true });
  const read = async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    try {
      const grant = await requestAccess(A.authed, c.id, reason.value.trim());
      A.onAudit?.();
      await showTranscript(A.authed, c.id, { grant, catalog: A.catalog });
    } catch (e) {
      error.hidden = false;
      error.dataset.code = e.code || "";
      error.textContent = errorText(e) + (e.message && e.code === "validation_failed" ? ` (${e.message})` : "");
    }
  };
  return el("li.related-item", { "data-testid": "alert-consultation", "data-consultation-id": c.id },
    el("div.small", {},
      el("code", {}, c.id), " · ", labelOf(A.catalog?.categories, c.category), " · ", statusLabel(c.status),
      c.region ? ` · ${labelOf(A.catalog?.regions, c.region)}` : "", " · ", fmtTime(c.createdAt), " · ",
      el("span", { "data-testid": "related-count", "data-count": c.relatedCount ?? "" }, t("al.relatedCount", { n: c.relatedCount ?? 0 }))),
    // novalidate: the server's check (and its problem code) is what the panel shows for a reason that is too short.
    el("form.audit-form", { onsubmit: read, novalidate: true }, reason,
      el("button.btn.btn-sm", { type: "submit", "data-testid": "alert-access-request" }, t("al.read"))),
    error);
}

async function toggleRelated(id) {
  if (A.expanded.has(id)) { A.expanded.delete(id); renderAlerts(); return; }
  await loadRelated(id);
}

async function loadRelated(id) {
  try {
    A.expanded.set(id, await A.authed(`/api/admin/alerts/${encodeURIComponent(id)}/consultations`));
    renderAlerts();
  } catch (e) { toast(errorText(e), "error"); }
}

async function act(alert, action) {
  try {
    const updated = await A.authed(`/api/admin/alerts/${encodeURIComponent(alert.id)}/${action}`, { method: "POST" });
    A.fresh.delete(alert.id);
    A.alerts.set(updated.id, updated);
    renderAlerts();
  } catch (e) {
    toast(errorText(e), "error");
    reloadAlerts(); // the alert changed meanwhile (another admin): show what is true now
  }
}

// ---------- per region (MetricsSnapshot.regions) ----------
/** The region table of the wall from a Metrics snapshot. */
export function renderRegions(regions, catalog) {
  const body = $("#region-rows");
  if (!body) return;
  const rows = [...(regions || [])].sort((a, b) => (b.waiting - a.waiting) || (b.arrived - a.arrived) || a.region.localeCompare(b.region));
  body.replaceChildren(...(rows.length ? rows.map((r) => el(`tr${r.waiting > 0 && r.oldestWaitSeconds > 60 ? ".hot" : ""}`, { "data-testid": "region-row", "data-region": r.region },
    el("td", {}, labelOf(catalog?.regions, r.region)),
    el("td.num", { "data-testid": "region-waiting" }, r.waiting ?? 0),
    el("td.num", {}, r.offered ?? 0),
    el("td.num", { "data-testid": "region-arrived" }, r.arrived ?? 0),
    el("td.num", { "data-testid": "region-answered" }, r.answered ?? 0),
    el("td.num", {}, r.abandoned ?? 0),
    el("td.num", {}, r.answered ? `${fmtDuration(r.averageWaitSeconds)} · ${fmtPercent(r.serviceLevel)}` : "—")))
    : [el("tr", {}, el("td.muted", { colspan: 7 }, t("rg.none")))]));
}
