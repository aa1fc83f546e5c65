// Audited transcript access for admins (contract "Privacy"): an admin states a reason, gets a 30-minute grant
// (audited as access_granted), then reads the transcript (each read audited as read_transcript). Used by the audit card
// and by the alert panel's links to related consultations; nothing here reads a transcript without a grant.
import { $, addStrings, el, fmtTime, labelOf, t } from "./common.js";

addStrings({
  "ax.title": ["咨询记录（已审计查阅）", "Transcript (audited access)"],
  "ax.close": ["关闭", "Close"],
  "ax.until": ["授权至 {until}", "Access until {until}"],
  "ax.empty": ["暂无消息", "No messages"],
  "ax.loading": ["正在读取…", "Loading…"],
  "ax.role.worker": ["职工", "Worker"], "ax.role.lawyer": ["律师", "Lawyer"], "ax.role.system": ["系统", "System"],
  "ax.st.queued": ["排队中", "Queued"], "ax.st.offered": ["派单中", "Offered"], "ax.st.active": ["服务中", "Active"],
  "ax.st.closed": ["已结束", "Closed"], "ax.st.abandoned": ["已离开", "Abandoned"],
});

/** A consultation status for admins (the worker page's wording speaks to the worker). */
export const statusLabel = (status) => t(`ax.st.${status}`);

/** Messages per page when reading a transcript; a transcript is read to its end, at most this many pages. */
const PAGE = 100, MAX_PAGES = 20;

/** POST /api/admin/consultations/{id}/access: the grant ({consultationId, until}); throws the ApiError on refusal. */
export function requestAccess(authed, consultationId, reason) {
  return authed(`/api/admin/consultations/${encodeURIComponent(consultationId)}/access`, { method: "POST", body: { reason } });
}

let dialog;
function ensureDialog() {
  if (dialog) return dialog;
  dialog = el("dialog.transcript-dialog", { "data-testid": "transcript", "aria-labelledby": "transcript-title" },
    el("div.transcript-head", {},
      el("h2", { id: "transcript-title" }, t("ax.title")),
      el("button.btn.btn-outline.btn-sm", { type: "button", "data-testid": "transcript-close", onclick: () => dialog.close() }, t("ax.close"))),
    el("div.small.transcript-meta", { id: "transcript-meta", "data-testid": "transcript-meta" }),
    el("div.transcript-summary", { id: "transcript-summary", "data-testid": "transcript-summary" }),
    el("div.messages.transcript-messages", { id: "transcript-messages", "data-testid": "transcript-messages" }));
  document.body.append(dialog);
  return dialog;
}

/**
 * Opens the transcript of a consultation the admin holds a grant for: its view (category, status, employer, region,
 * relatedCount) and every message, read page by page.
 */
export async function showTranscript(authed, consultationId, { grant, catalog } = {}) {
  const d = ensureDialog();
  $("#transcript-title").textContent = `${t("ax.title")} · ${consultationId}`;
  const meta = $("#transcript-meta"), list = $("#transcript-messages"), summary = $("#transcript-summary");
  summary.textContent = "";
  list.dataset.loaded = "false";
  meta.textContent = grant ? t("ax.until", { until: fmtTime(grant.until) }) : "";
  list.replaceChildren(el("div.empty", {}, t("ax.loading")));
  if (!d.open) d.showModal();
  const view = await authed(`/api/consultations/${encodeURIComponent(consultationId)}`);
  meta.textContent = [labelOf(catalog?.categories, view.category), statusLabel(view.status), view.employer, labelOf(catalog?.regions, view.region),
    grant ? t("ax.until", { until: fmtTime(grant.until) }) : ""].filter(Boolean).join(" · ");
  summary.textContent = view.summary || "";
  const messages = [];
  for (let page = 0, after = 0; page < MAX_PAGES; page++) {
    const batch = await authed(`/api/consultations/${encodeURIComponent(consultationId)}/messages?afterSeq=${after}&limit=${PAGE}`);
    messages.push(...batch);
    if (batch.length < PAGE) break;
    after = batch[batch.length - 1].seq;
  }
  list.replaceChildren(...(messages.length ? messages.map((m) => el(`div.msg.${m.senderRole === "lawyer" ? "mine" : "theirs"}`, { "data-testid": "transcript-message", "data-seq": m.seq },
    el("div.bubble", {}, el("span.who", {}, `${t(`ax.role.${m.senderRole}`)} ${m.senderName || ""}`), m.text),
    el("div.meta", {}, `#${m.seq} · ${fmtTime(m.sentAt)}`))) : [el("div.empty", {}, t("ax.empty"))]));
  list.dataset.loaded = "true";
}
