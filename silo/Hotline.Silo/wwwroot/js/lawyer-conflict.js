// Lawyer console: declaring a conflict of interest (contract "Union intelligence": lawyer hub DeclareConflict(employer)).
// Two steps (declare, then confirm): the server records the conflict, nothing of that employer is offered to this lawyer
// any more, and an active consultation naming it goes back to routing, so the console lets go of it.
import { $, addStrings, errorText, t, toast } from "./common.js";

addStrings({
  "lc.title": ["利益冲突回避", "Conflict of interest"],
  "lc.hint": ["与该用人单位有利益关系时请声明回避：本咨询将重新派给其他律师，今后该单位的咨询也不会再派给您。",
    "If you are tied to this employer, declare it: this consultation goes back to routing and the employer's consultations are never offered to you again."],
  "lc.employerPh": ["用人单位名称", "Employer name"],
  "lc.declare": ["声明回避…", "Declare conflict…"],
  "lc.confirm": ["确认与「{e}」存在利益冲突并回避？", "Confirm a conflict of interest with \u201c{e}\u201d?"],
  "lc.yes": ["确认回避", "Confirm"], "lc.no": ["取消", "Cancel"],
  "lc.need": ["请填写用人单位名称", "Enter the employer's name"],
  "lc.done": ["已声明回避：{e}。相关咨询已重新派单。", "Conflict declared: {e}. Its consultations went back to routing."],
  "lc.employer": ["用人单位：{e}", "Employer: {e}"],
  "lc.related": ["同单位另有 {n} 件咨询", "{n} other consultations name this employer"],
});

const C = { invoke: null, onDeclared: null, prefilled: null };

/** `invoke`: the lawyer hub call; `onDeclared(employer, fromSelected)`: the console drops what left this lawyer. */
export function setupConflict({ invoke, onDeclared }) {
  Object.assign(C, { invoke, onDeclared });
  $("#conflict-declare").addEventListener("click", ask);
  $("#conflict-no").addEventListener("click", () => { $("#conflict-confirm").hidden = true; });
  $("#conflict-yes").addEventListener("click", declare);
}

/** Shows the selected consultation's employer and related count, and prefills the declaration with that employer. */
export function renderConflict(view) {
  const line = $("#chat-employer");
  const badge = $("#chat-related");
  line.textContent = view?.employer ? t("lc.employer", { e: view.employer }) : "";
  badge.hidden = !(view?.relatedCount > 0);
  badge.dataset.count = view?.relatedCount ?? 0;
  badge.textContent = view?.relatedCount > 0 ? t("lc.related", { n: view.relatedCount }) : "";
  // Prefill only when the selection changes, so a name being typed is not overwritten by a re-render.
  if (C.prefilled !== view?.id) {
    C.prefilled = view?.id;
    $("#conflict-employer").value = view?.employer || "";
    $("#conflict-confirm").hidden = true;
  }
  const open = view && ["queued", "offered", "active"].includes(view.status);
  $("#conflict-declare").disabled = !open;
}

function ask() {
  const employer = $("#conflict-employer").value.trim();
  if (!employer) { toast(t("lc.need"), "error"); return; }
  $("#conflict-confirm-text").textContent = t("lc.confirm", { e: employer });
  $("#conflict-confirm").hidden = false;
  $("#conflict-yes").focus();
}

async function declare() {
  const employer = $("#conflict-employer").value.trim();
  const button = $("#conflict-yes");
  button.disabled = true;
  try {
    await C.invoke("DeclareConflict", employer);
    $("#conflict-confirm").hidden = true;
    toast(t("lc.done", { e: employer }), "ok");
    C.onDeclared?.(employer);
  } catch (e) {
    // The hub's "validation_failed: employer names nobody" says what to fix.
    const detail = /validation_failed:\s*(.+)$/.exec(String(e?.message))?.[1];
    toast(detail ? `${errorText(e)}：${detail}` : errorText(e), "error");
  } finally { button.disabled = false; }
}
