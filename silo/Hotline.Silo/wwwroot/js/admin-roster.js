// Admin wall: the roster editor (contract "Union intelligence": PUT /api/admin/lawyers/{id}, POST .../password).
// Edits skills, dialects, capacity, conflicts of interest and the disabled flag; sends only the fields that changed (the
// audit log names them). Errors are shown from the problem's stable `code`, with the server's detail.
import { $, addStrings, el, errorText, labelOf, t, toast } from "./common.js";

addStrings({
  "ro.manage": ["管理", "Manage"],
  "ro.edit": ["编辑", "Edit"],
  "ro.disabled": ["已停用", "Disabled"],
  "ro.title": ["编辑律师：{name}", "Edit lawyer: {name}"],
  "ro.displayName": ["姓名", "Display name"],
  "ro.skills": ["擅长类别", "Skills"], "ro.dialects": ["方言", "Dialects"],
  "ro.capacity": ["同时接待上限（1-10）", "Capacity (1-10)"],
  "ro.conflicts": ["利益冲突单位（每行一个）", "Conflicts of interest (one employer per line)"],
  "ro.conflictsHelp": ["不会向该律师派发这些单位职工的咨询。", "Consultations naming these employers are never offered to this lawyer."],
  "ro.disable": ["停用账号（不能登录，连接断开，咨询重新派单）", "Disabled (cannot sign in, connections closed, consultations re-routed)"],
  "ro.save": ["保存", "Save"], "ro.cancel": ["取消", "Cancel"],
  "ro.saved": ["已保存：{name}", "Saved: {name}"], "ro.noChange": ["没有修改", "Nothing changed"],
  "ro.password": ["重置密码（至少8位）", "Reset password (at least 8 characters)"],
  "ro.passwordGo": ["重置密码", "Reset password"],
  "ro.passwordDone": ["密码已重置，旧的登录已失效", "Password reset; earlier sign-ins no longer work"],
});

const R = { authed: null, catalog: null, refresh: null, lawyer: null, dialog: null };

/** `authed`: the page's authenticated fetch; `refresh`: reloads the roster after a change. */
export function setupRoster({ authed, catalog, refresh }) {
  Object.assign(R, { authed, catalog, refresh });
}

/** The roster row's last cell: the disabled mark and the edit button. */
export function rosterActions(lawyer) {
  return [
    lawyer.disabled ? el("span.chip.chip-red", { "data-testid": "roster-disabled-mark" }, t("ro.disabled")) : null,
    (lawyer.conflicts || []).length ? el("span.chip", { title: lawyer.conflicts.join("\n") }, `⚖ ${lawyer.conflicts.length}`) : null,
    el("button.btn.btn-outline.btn-sm", { type: "button", "data-testid": "roster-edit", onclick: () => openEditor(lawyer) }, t("ro.edit")),
  ];
}

const checkboxes = (name, items, selected) => el("div.roster-checks", { "data-testid": `roster-${name}s` },
  (items || []).map((item) => el("label.roster-check", {},
    el("input", { type: "checkbox", name, value: item.id, "data-testid": `roster-${name}`, checked: selected.includes(item.id) }),
    ` ${labelOf(items, item.id)}`)));

const checked = (form, name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
const sameSet = (a, b) => a.length === b.length && [...a].sort().join("\u0001") === [...b].sort().join("\u0001");

function showError(box, e) {
  box.hidden = false;
  box.dataset.code = e.code || "error";
  // The code's wording plus the server's detail ("capacity must be between 1 and 10"), which says what to fix.
  const detail = e.message && e.message !== e.code ? e.message : "";
  box.textContent = detail ? `${errorText(e)}：${detail}` : errorText(e);
}

function openEditor(lawyer) {
  R.lawyer = lawyer;
  R.dialog?.remove();
  const error = el("p.error-text", { "data-testid": "roster-error", role: "alert", hidden: true });
  const pwResult = el("p.small", { "data-testid": "roster-password-result", role: "status" });
  const form = el("form.roster-form", { "data-testid": "roster-form", onsubmit: (ev) => save(ev, form, error) },
    el("label.field", {}, el("span.label", {}, t("ro.displayName")),
      el("input.input", { name: "displayName", "data-testid": "roster-display-name", value: lawyer.displayName || "", maxlength: 64 })),
    el("div.field", {}, el("span.label", {}, t("ro.skills")), checkboxes("skill", R.catalog?.categories, lawyer.skills || [])),
    el("div.field", {}, el("span.label", {}, t("ro.dialects")), checkboxes("dialect", R.catalog?.dialects, lawyer.dialects || [])),
    el("label.field", {}, el("span.label", {}, t("ro.capacity")),
      // No min/max here: the server's validation (and its problem code) is what the editor shows.
      el("input.input.input-narrow", { name: "capacity", type: "number", step: 1, "data-testid": "roster-capacity", value: lawyer.capacity })),
    el("label.field", {}, el("span.label", {}, t("ro.conflicts")),
      el("textarea.input", { name: "conflicts", rows: 3, "data-testid": "roster-conflicts" }, (lawyer.conflicts || []).join("\n")),
      el("span.hint", {}, t("ro.conflictsHelp"))),
    el("label.field.roster-check", {}, el("input", { type: "checkbox", name: "disabled", "data-testid": "roster-disabled", checked: !!lawyer.disabled }), ` ${t("ro.disable")}`),
    error,
    el("div.roster-buttons", {},
      el("button.btn.btn-primary", { type: "submit", "data-testid": "roster-save" }, t("ro.save")),
      el("button.btn.btn-outline", { type: "button", "data-testid": "roster-cancel", onclick: () => R.dialog.close() }, t("ro.cancel"))));
  const pw = el("input.input", { type: "password", autocomplete: "new-password", "data-testid": "roster-password", maxlength: 256 });
  const pwForm = el("form.roster-password", { onsubmit: (ev) => resetPassword(ev, pw, pwResult) },
    el("label.field", {}, el("span.label", {}, t("ro.password")), pw),
    el("button.btn.btn-blue.btn-sm", { type: "submit", "data-testid": "roster-password-reset" }, t("ro.passwordGo")), pwResult);
  R.dialog = el("dialog.roster-dialog", { "data-testid": "roster-editor", "data-lawyer-id": lawyer.id },
    el("h2", {}, t("ro.title", { name: lawyer.displayName || lawyer.username })), el("div.small.muted", {}, lawyer.id), form, el("hr"), pwForm);
  document.body.append(R.dialog);
  R.dialog.addEventListener("close", () => R.dialog?.remove());
  R.dialog.showModal();
}

/** Only the changed fields; null when nothing changed. */
function changes(form, lawyer) {
  const body = {};
  const name = form.elements.displayName.value.trim();
  if (name !== (lawyer.displayName || "")) body.displayName = name;
  const skills = checked(form, "skill"), dialects = checked(form, "dialect");
  if (!sameSet(skills, lawyer.skills || [])) body.skills = skills;
  if (!sameSet(dialects, lawyer.dialects || [])) body.dialects = dialects;
  const capacityText = form.elements.capacity.value.trim();
  // Sent as typed (a number when it is one) so the server's validation speaks for anything out of range.
  const capacity = capacityText === "" ? NaN : Number(capacityText);
  if (capacity !== lawyer.capacity) body.capacity = Number.isFinite(capacity) ? capacity : capacityText;
  const conflicts = form.elements.conflicts.value.split("\n").map((s) => s.trim()).filter(Boolean);
  if (!sameSet(conflicts, lawyer.conflicts || [])) body.conflicts = conflicts;
  const disabled = form.elements.disabled.checked;
  if (disabled !== !!lawyer.disabled) body.disabled = disabled;
  return Object.keys(body).length ? body : null;
}

async function save(ev, form, error) {
  ev.preventDefault();
  error.hidden = true;
  const lawyer = R.lawyer;
  const body = changes(form, lawyer);
  if (!body) { R.dialog.close(); toast(t("ro.noChange")); return; }
  try {
    const view = await R.authed(`/api/admin/lawyers/${encodeURIComponent(lawyer.id)}`, { method: "PUT", body });
    R.dialog.close();
    toast(t("ro.saved", { name: view.displayName || view.username }), "ok");
    R.refresh?.();
  } catch (e) { showError(error, e); }
}

async function resetPassword(ev, input, result) {
  ev.preventDefault();
  result.className = "small";
  delete result.dataset.code;
  try {
    await R.authed(`/api/admin/lawyers/${encodeURIComponent(R.lawyer.id)}/password`, { method: "POST", body: { password: input.value } });
    input.value = "";
    result.dataset.code = "ok";
    result.textContent = t("ro.passwordDone");
  } catch (e) {
    result.className = "small error-text";
    showError(result, e);
  }
}
