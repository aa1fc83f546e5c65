// Worker page: start a consultation, wait in the queue, chat with a union lawyer, close and rate.
import {
  $, addStrings, api, applyI18n, errorCode, errorText, fmtDuration, getLang, keepHub, labelOf, loadCatalog,
  onLangChange, renderConnectionBanner, setupLangSwitch, t, toast, el,
} from "./common.js";
import { Chat, throttleTyping } from "./chat.js";
import { rerenderPush, setupPush } from "./push.js";
import { hideResumeCode, setupResume } from "./resume.js";

addStrings({
  "w.pageTitle": ["12351 职工维权在线咨询", "12351 Worker Rights Online Help"],
  "w.brand": ["职工维权在线咨询", "Worker Rights Online Help"],
  "w.brandSub": ["省总工会 · 12351 职工服务热线", "Provincial Federation of Trade Unions · 12351"],
  "w.heroTitle": ["遇到劳动权益问题？工会律师为您免费解答", "A problem at work? Union lawyers answer for free"],
  "w.heroText": ["欠薪、工伤、劳动合同、社保……选好问题类型和您习惯的方言，写几句情况，值班律师会为您解答。",
    "Unpaid wages, work injury, contracts, social insurance… Pick the topic and the language you speak, tell us a few lines, and the lawyer on duty answers you."],
  "w.point1": ["免费", "Free"], "w.point2": ["保密", "Confidential"], "w.point3": ["可用方言", "Dialects welcome"], "w.point4": ["24小时受理", "Taken 24 hours a day"],
  "w.onDuty": ["现在是值班时间，{n} 位律师在线。", "Lawyers are on duty now: {n} online."],
  "w.onDutyNobody": ["现在是值班时间，但暂时没有律师在线。您的咨询会保存，律师上线后答复。", "It is duty time, but no lawyer is online right now. Your consultation is kept and answered when one comes online."],
  "w.offDuty": ["现在不是律师值班时间。您的咨询会保存，下一班 {next} 开始后答复。", "No lawyer is on duty now. Your consultation is kept and answered when the next shift starts ({next})."],
  "w.offDutyOnline": ["现在不是值班时间，仍有 {n} 位律师在线。", "Outside duty hours, but {n} lawyer(s) are online."],
  "w.nobodyOnline": ["现在没有能接这类咨询的律师在线，暂时无法估计等待时间。您的咨询已保存，不会丢失，律师上线后会在这里答复您{next}。您可以关闭本页，稍后用同一个浏览器打开继续。",
    "No lawyer who can take this consultation is online now, so there is no wait estimate. Your consultation is kept and will be answered here when a lawyer comes online{next}. You may close this page and come back later in the same browser."],
  "w.nextShift": ["（下一班 {next}）", " (next shift: {next})"],
  "w.noEstimate": ["暂无估计", "No estimate"],
  "w.adviceTitle": ["律师给您的建议", "The lawyer's advice"],
  "w.rateSubmit": ["提交评价", "Send rating"],
  "w.rated": ["谢谢您的评价。", "Thank you for your rating."],
  "w.leaveTitle": ["离开排队", "Leave the queue"],
  "w.leaveQueueText": ["离开后您的排队将取消，律师不会再接入这次咨询。", "If you leave, your place is given up and no lawyer will take this consultation."],
  "w.leave": ["确认离开", "Leave"],
  "w.pickStars": ["请先选择星级", "Choose the stars first"],
  "w.formTitle": ["我要咨询", "Ask a question"],
  "w.category": ["问题类型", "Topic"],
  "w.dialect": ["沟通语言 / 方言", "Language / dialect"],
  "w.summary": ["简单说说您的情况", "Tell us briefly what happened"],
  "w.employer": ["用人单位（选填）", "Employer (optional)"],
  "w.employerPh": ["例如：厦门某某电子有限公司", "E.g. Xiamen ABC Electronics Co., Ltd."],
  "w.region": ["单位所在地（选填）", "Where the employer is (optional)"],
  "w.noRegion": ["不确定 / 不填", "Not sure / skip"],
  "w.summaryPh": ["例如：我在工地干了8个月，老板还欠我3个月工资，也没签合同……", "E.g. I worked 8 months on a building site, the boss owes me 3 months of wages and I never signed a contract…"],
  "w.summaryHint": ["例如：在哪里工作、做了多久、遇到了什么问题", "Where you work, for how long, what went wrong"],
  "w.submit": ["开始咨询", "Start consultation"],
  "w.submitting": ["正在提交…", "Submitting…"],
  "w.privacy": ["您的咨询内容仅用于解答问题，工会依法为您保密。", "What you tell us is used only to help you and is kept confidential."],
  "w.orCall": ["不方便打字？直接拨打", "Prefer to talk? Call"],
  "w.pickCategory": ["请选择问题类型", "Choose a topic"],
  "w.needSummary": ["请简单写几句您的情况", "Please describe your situation in a few words"],
  "w.catalogFailed": ["无法加载选项，正在重试…", "Could not load the options, retrying…"],
  "w.close": ["结束咨询", "End"],
  "w.position": ["您当前排在第", "Your place in line"],
  "w.people": [" 位", ""],
  "w.wait": ["预计等待", "Estimated wait"],
  "w.soon": ["马上接通", "Any moment"],
  "w.queueNote": ["律师接入后会在下方和您对话。您可以先离开，稍后用同一个浏览器打开本页即可继续。",
    "A lawyer will answer below. You may leave and come back later in the same browser to continue."],
  "w.lawyerServing": ["工会律师正在为您服务", "Union lawyer, answering you now"],
  "w.typing": ["律师正在输入…", "The lawyer is typing…"],
  "w.inputPh": ["输入您的问题…", "Type your message…"],
  "w.send": ["发送", "Send"],
  "w.yourQuestion": ["您的问题", "Your question"],
  "w.closedTitle": ["本次咨询已结束", "This consultation is closed"],
  "w.abandonedTitle": ["您已离开排队", "You left the queue"],
  "w.closedText": ["感谢您的信任。如果问题还没有解决，可以随时再次咨询或拨打 12351。", "Thank you. If your problem is not solved yet, ask again any time or call 12351."],
  "w.newConsultation": ["发起新的咨询", "New consultation"],
  "w.transcript": ["聊天记录", "Transcript"],
  "w.loading": ["正在加载…", "Loading…"],
  "w.rateTitle": ["结束咨询并评价", "End and rate"],
  "w.rateText": ["律师的解答对您有帮助吗？", "Did the lawyer's answer help you?"],
  "w.comment": ["意见和建议（选填）", "Comments (optional)"],
  "w.cancel": ["继续咨询", "Keep talking"],
  "w.confirmClose": ["结束咨询", "End consultation"],
  "w.star1": ["很不满意", "Very poor"], "w.star2": ["不满意", "Poor"], "w.star3": ["一般", "OK"], "w.star4": ["满意", "Good"], "w.star5": ["非常满意", "Excellent"],
  "w.closeFailed": ["暂时无法结束，请检查网络后再试", "Could not close now; check your connection and retry"],
});

const AUTH_KEY = "hotline.worker";
const CID_KEY = "hotline.worker.consultationId";
const OPEN = new Set(["queued", "offered", "active"]);

const state = { auth: null, catalog: null, consultation: null, chat: null, hub: null, rating: 0, queue: null, duty: null, lateRating: 0 };
const views = ["start", "live", "closed", "loading"];
function show(view) { for (const v of views) $(`#view-${v}`).hidden = v !== view; }

// ---------- auth ----------
function readAuth() {
  try { const a = JSON.parse(localStorage.getItem(AUTH_KEY) || "null"); return a?.token ? a : null; } catch { return null; }
}
// A worker token lives 30 days and is this browser's only link to its consultations: a page opened more than a day
// after the token was issued (or renewed) renews it, so a worker who keeps coming back keeps their identity.
const RENEW_AFTER_MS = 24 * 3600 * 1000;
function saveAuth(auth) {
  state.auth = auth;
  localStorage.setItem(AUTH_KEY, JSON.stringify(auth));
  return auth;
}
async function renewAuth(auth) {
  if (auth.renewedAt && Date.now() - auth.renewedAt < RENEW_AFTER_MS) return auth;
  try {
    const r = await api("/api/auth/renew", { method: "POST", token: auth.token });
    return saveAuth({ ...auth, token: r.token, renewedAt: Date.now() });
  } catch {
    // Refused (expired, erased): the next call's 401 starts a fresh identity. Unreachable: the old token serves meanwhile.
    return auth;
  }
}
async function ensureAuth(force = false) {
  if (!force && state.auth) return state.auth;
  if (!force) { const stored = readAuth(); if (stored) { state.auth = stored; return renewAuth(stored); } }
  const r = await api("/api/auth/worker", { method: "POST", body: {} });
  return saveAuth({ workerId: r.workerId, token: r.token, renewedAt: Date.now() });
}
/** REST call with the worker token; a 401 (expired or foreign token) gets a fresh identity once. */
async function call(path, opts = {}) {
  await ensureAuth();
  try {
    return await api(path, { ...opts, token: state.auth.token });
  } catch (e) {
    if (e.status !== 401) throw e;
    localStorage.removeItem(CID_KEY);
    await ensureAuth(true);
    return api(path, { ...opts, token: state.auth.token });
  }
}

// ---------- catalog / pickers ----------
function fillPickers() {
  const c = state.catalog;
  if (!c) return;
  const regionSel = $("#region"), region = regionSel.value;
  regionSel.replaceChildren(el("option", { value: "" }, t("w.noRegion")), ...(c.regions || []).map((x) => el("option", { value: x.id }, labelOf(c.regions, x.id))));
  regionSel.value = region;
  for (const [id, list, placeholder] of [["#category", c.categories, "w.pickCategory"], ["#dialect", c.dialects, null]]) {
    const sel = $(id);
    const cur = sel.value;
    sel.replaceChildren(
      ...(placeholder ? [el("option", { value: "", disabled: true, selected: !cur }, t(placeholder))] : []),
      ...list.map((x) => el("option", { value: x.id }, labelOf(list, x.id))));
    if (cur) sel.value = cur;
    else if (!placeholder) sel.value = list.some((x) => x.id === "mandarin") ? "mandarin" : list[0]?.id;
  }
}
async function loadPickers() {
  for (let attempt = 0; ; attempt++) {
    try {
      state.catalog = await loadCatalog();
      fillPickers();
      if ($("#start-error").dataset.kind === "catalog") $("#start-error").hidden = true;
      return;
    } catch {
      const e = $("#start-error"); e.hidden = false; e.dataset.kind = "catalog"; e.textContent = t("w.catalogFailed");
      await new Promise((r) => setTimeout(r, Math.min(5000, 1000 * (attempt + 1))));
    }
  }
}

// ---------- start ----------
async function submit(ev) {
  ev.preventDefault();
  const category = $("#category").value, dialect = $("#dialect").value, summary = $("#summary").value.trim();
  const err = $("#start-error");
  err.hidden = true; err.dataset.kind = "";
  if (!category) { err.hidden = false; err.textContent = t("w.pickCategory"); $("#category").focus(); return; }
  if (!summary) { err.hidden = false; err.textContent = t("w.needSummary"); $("#summary").focus(); return; }
  const btn = $("#submit");
  btn.disabled = true; btn.textContent = t("w.submitting");
  try {
    const employer = $("#employer").value.trim() || undefined, region = $("#region").value || undefined;
    const c = await call("/api/consultations", { method: "POST", body: { category, dialect, summary, channel: "web", employer, region } });
    $("#summary").value = ""; $("#employer").value = ""; updateCount();
    enterLive(c);
  } catch (e) {
    err.hidden = false; err.textContent = errorText(e);
  } finally {
    btn.disabled = false; btn.textContent = t("w.submit");
  }
}
function updateCount() { $("#summary-count").textContent = `${$("#summary").value.length}/2000`; }

// ---------- live ----------
function enterLive(c) {
  state.consultation = c;
  state.queue = c.queuePosition != null || c.lawyersOnline != null
    ? { position: c.queuePosition, estimatedWaitSeconds: c.estimatedWaitSeconds, lawyersOnline: c.lawyersOnline } : null;
  localStorage.setItem(CID_KEY, c.id);
  $("#messages").replaceChildren(introNode(c));
  state.chat = new Chat({
    list: $("#messages"), typing: $("#typing"), consultationId: c.id, storage: localStorage,
    myRole: "worker", myId: state.auth?.workerId, isMine: (m) => m.senderRole === "worker",
  });
  renderStatus();
  show("live");
  if (!state.hub) startHub();
  else if (state.hub.connected()) join();
}

function introNode(c) {
  return el("div.msg.system", { "data-testid": "consultation-summary" },
    el("div.bubble", { style: "border-radius:12px;text-align:left;max-width:100%" }, `${t("w.yourQuestion")}${getLang() === "en" ? ": " : "："}${c.summary || ""}`));
}

function renderStatus() {
  const c = state.consultation;
  if (!c) return;
  const pill = $("#status");
  pill.dataset.status = c.status;
  pill.textContent = t(`status.${c.status}`);
  const cat = labelOf(state.catalog?.categories, c.category), dia = labelOf(state.catalog?.dialects, c.dialect);
  const where = [c.employer, c.region ? labelOf(state.catalog?.regions, c.region) : null].filter(Boolean).join(" · ");
  $("#consultation-meta").textContent = [cat, dia, where, c.createdAt ? new Date(c.createdAt).toLocaleString(getLang() === "en" ? "en-GB" : "zh-CN", { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" }) : ""].filter(Boolean).join(" · ");
  const waiting = c.status === "queued" || c.status === "offered";
  $("#queue-box").hidden = !waiting;
  if (waiting) {
    const q = state.queue;
    $("#queue-position").textContent = q?.position ?? "—";
    const w = q?.estimatedWaitSeconds;
    const nobody = q?.lawyersOnline === 0;
    // No eligible lawyer online: say so, and no invented estimate.
    $("#estimated-wait").textContent = nobody ? t("w.noEstimate") : w == null ? "—" : w <= 5 ? t("w.soon") : fmtDuration(w, { approx: true });
    const note = $("#duty-note");
    note.hidden = !nobody;
    if (nobody) {
      const next = state.duty?.nextShiftStartsAt ? t("w.nextShift").replace("{next}", fmtShift(state.duty)) : "";
      note.textContent = t("w.nobodyOnline").replace("{next}", next);
    }
  }
  const name = c.assignedLawyerName;
  $("#lawyer-line").hidden = !(c.status === "active" && name);
  $("#lawyer-name").textContent = name || "";
  $("#close").hidden = !OPEN.has(c.status);
  $("#chat-input").disabled = !OPEN.has(c.status);
  $("#send").disabled = !OPEN.has(c.status);
}

function startHub() {
  // echo=false: Chat files an own message from its ack, so the server leaves this connection out of its push.
  state.hub = keepHub("/hubs/worker?echo=false", {
    token: () => state.auth?.token,
    onState: (s) => renderConnectionBanner($("#connection-banner"), s),
    onUp: () => join(),
    handlers: {
      QueueUpdate: (u) => {
        if (u.consultationId === state.consultation?.id && u.lawyersOnline === 0 && !state.duty) loadDuty();
        if (u.consultationId !== state.consultation?.id) return;
        state.queue = u;
        renderStatus();
      },
      Assigned: (a) => {
        if (a.consultationId !== state.consultation?.id) return;
        Object.assign(state.consultation, { assignedLawyerId: a.lawyerId, assignedLawyerName: a.lawyerName });
        renderStatus();
      },
      StatusChanged: (s) => {
        if (s.consultationId !== state.consultation?.id) return;
        state.consultation.status = s.status;
        if (s.advice !== undefined) state.consultation.advice = s.advice;
        if (s.resolution !== undefined) state.consultation.resolution = s.resolution;
        renderStatus();
        if (!OPEN.has(s.status)) toClosed();
      },
      Message: (m) => { if (m.consultationId === state.consultation?.id) state.chat.merge([m]); },
      MessageWithdrawn: (w) => { if (w.consultationId === state.consultation?.id) state.chat.withdraw(w); },
      Typing: (e) => { if (e.consultationId === state.consultation?.id && e.role !== "worker") state.chat.showTyping(); },
    },
  });
}

async function join() {
  const c = state.consultation;
  if (!c || !state.chat) return;
  try {
    const r = await state.hub.invoke("JoinConsultation", c.id, state.chat.rejoinSeq());
    if (state.consultation?.id !== c.id) return;
    if (r?.consultation) {
      state.consultation = { ...c, ...r.consultation };
      if (r.consultation.queuePosition != null || r.consultation.lawyersOnline != null)
        state.queue = { position: r.consultation.queuePosition, estimatedWaitSeconds: r.consultation.estimatedWaitSeconds, lawyersOnline: r.consultation.lawyersOnline };
      if (r.consultation.lawyersOnline === 0 && !state.duty) loadDuty();
    }
    state.chat.joined(r);
    renderStatus();
    if (!OPEN.has(state.consultation.status)) { toClosed(); return; }
    await state.chat.flush(state.hub.invoke);
  } catch (e) {
    const code = errorCode(e);
    if (code === "forbidden" || code === "not_found") {
      localStorage.removeItem(CID_KEY);
      state.consultation = null;
      show("start");
      toast(errorText(e), "error");
    }
  }
}

function toClosed() {
  const c = state.consultation;
  $("#closed-title").textContent = t(c?.status === "abandoned" ? "w.abandonedTitle" : "w.closedTitle");
  // The result of the consultation: the lawyer's advice, then a rating if nobody rated yet (never for a worker who left the queue).
  $("#advice-box").hidden = !c?.advice;
  $("#advice").textContent = c?.advice || "";
  const canRate = c?.status === "closed" && c.rating == null;
  $("#rate-card").hidden = !canRate;
  $("#rated").hidden = !(c?.status === "closed" && c.rating != null);
  setLateRating(0);
  $("#closed-messages").replaceChildren(...[...$("#messages").children].map((n) => n.cloneNode(true)));
  localStorage.removeItem(CID_KEY);
  hideResumeCode();
  $("#close-dialog").open && $("#close-dialog").close();
  show("closed");
}

// ---------- composer ----------
function sendCurrent() {
  const input = $("#chat-input");
  const text = input.value.trim();
  if (!text || !state.chat) return;
  input.value = "";
  autoGrow();
  state.chat.send(text, state.hub.invoke);
  input.focus();
}
function autoGrow() {
  const i = $("#chat-input");
  i.style.height = "auto";
  i.style.height = `${Math.min(140, i.scrollHeight + 2)}px`;
}
const typing = throttleTyping(() => {
  if (state.hub?.connected() && state.consultation) return state.hub.invoke("Typing", state.consultation.id);
});

// ---------- close & rate ----------
function setRating(n) {
  state.rating = n;
  for (const b of document.querySelectorAll(".star:not(.rate-star)")) b.setAttribute("aria-pressed", String(Number(b.dataset.rating) <= n));
  $("#star-caption").textContent = n ? t(`w.star${n}`) : "";
}
async function confirmClose() {
  const c = state.consultation;
  if (!c) return;
  const btn = $("#confirm-close");
  btn.disabled = true;
  try {
    const waiting = c.status === "queued" || c.status === "offered";
    const r = await state.hub.invoke("CloseConsultation", c.id, waiting ? null : state.rating || null, waiting ? null : $("#close-comment").value.trim() || null);
    state.consultation = { ...state.consultation, ...(r || {}), status: r?.status || (waiting ? "abandoned" : "closed") };
    $("#close-dialog").close();
    toClosed();
  } catch (e) {
    toast(state.hub?.connected() ? errorText(e) : t("w.closeFailed"), "error");
  } finally {
    btn.disabled = false;
  }
}

function setLateRating(n) {
  state.lateRating = n;
  for (const b of document.querySelectorAll(".rate-star")) b.setAttribute("aria-pressed", String(Number(b.dataset.rating) <= n));
}
async function submitRating() {
  const c = state.consultation;
  if (!c) return;
  if (!state.lateRating) { toast(t("w.pickStars"), "error"); return; }
  const btn = $("#rate-submit");
  btn.disabled = true;
  try {
    const r = await state.hub.invoke("RateConsultation", c.id, state.lateRating, $("#rate-comment").value.trim() || null);
    state.consultation = { ...c, ...(r || {}), rating: r?.rating ?? state.lateRating };
    $("#rate-card").hidden = true;
    $("#rated").hidden = false;
  } catch (e) {
    toast(errorText(e), "error");
  } finally {
    btn.disabled = false;
  }
}
function openCloseDialog() {
  // Leaving the queue is not a consultation that happened: no stars, just what leaving means.
  const waiting = state.consultation && (state.consultation.status === "queued" || state.consultation.status === "offered");
  $("#close-rate-section").hidden = waiting;
  $("#leave-queue-text").hidden = !waiting;
  $("#close-dialog-title").textContent = t(waiting ? "w.leaveTitle" : "w.rateTitle");
  $("#confirm-close").textContent = t(waiting ? "w.leave" : "w.confirmClose");
  setRating(0);
  $("#close-comment").value = "";
  $("#close-dialog").showModal();
}

// ---------- duty ----------
function fmtShift(d) {
  try {
    return new Date(d.nextShiftStartsAt).toLocaleString(getLang() === "en" ? "en-GB" : "zh-CN",
      { timeZone: d.timezone, weekday: "short", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  } catch { return new Date(d.nextShiftStartsAt).toLocaleString(); }
}
function renderDuty() {
  const d = state.duty, p = $("#duty");
  if (!d) { p.hidden = true; return; }
  p.hidden = false;
  p.dataset.onDuty = String(d.onDutyNow);
  p.textContent = d.onDutyNow
    ? (d.lawyersOnline > 0 ? t("w.onDuty").replace("{n}", d.lawyersOnline) : t("w.onDutyNobody"))
    : (d.lawyersOnline > 0 ? t("w.offDutyOnline").replace("{n}", d.lawyersOnline) : t("w.offDuty").replace("{next}", d.nextShiftStartsAt ? fmtShift(d) : "—"));
}
async function loadDuty() {
  try { state.duty = await api("/api/duty"); } catch { return; }
  renderDuty();
  renderStatus();
}

// ---------- resume ----------
async function findOpenConsultation() {
  try {
    const list = await call("/api/workers/me/consultations");
    const open = (list || []).filter((c) => OPEN.has(c.status)).sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
    if (open.length) return open[0];
  } catch (e) {
    if (e.code === "network") throw e;
  }
  const id = localStorage.getItem(CID_KEY);
  if (!id) return null;
  try {
    const c = await call(`/api/consultations/${encodeURIComponent(id)}`);
    return OPEN.has(c.status) ? c : null;
  } catch (e) {
    if (e.code === "network") throw e;
    localStorage.removeItem(CID_KEY);
    return null;
  }
}

async function boot() {
  setupLangSwitch($("#lang-switch"));
  applyI18n();
  onLangChange(() => {
    fillPickers(); renderStatus(); setRating(state.rating); renderDuty(); rerenderPush();
    if (state.chat) { const intro = introNode(state.consultation); state.chat.rerender(); $("#messages").prepend(intro); }
  });
  $("#start-form").addEventListener("submit", submit);
  $("#summary").addEventListener("input", updateCount);
  $("#composer").addEventListener("submit", (e) => { e.preventDefault(); sendCurrent(); });
  $("#chat-input").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229 && matchMedia("(pointer: fine)").matches) { e.preventDefault(); sendCurrent(); }
  });
  $("#chat-input").addEventListener("input", () => { autoGrow(); typing(); });
  $("#close").addEventListener("click", openCloseDialog);
  for (const b of document.querySelectorAll(".rate-star")) b.addEventListener("click", () => setLateRating(Number(b.dataset.rating)));
  $("#rate-submit").addEventListener("click", submitRating);
  $("#cancel-close").addEventListener("click", () => $("#close-dialog").close());
  $("#confirm-close").addEventListener("click", confirmClose);
  for (const b of document.querySelectorAll(".star:not(.rate-star)")) b.addEventListener("click", () => setRating(Number(b.dataset.rating)));
  // Resume on another device: the new identity is stored and the page starts again as that worker.
  setupResume(call, (auth) => {
    saveAuth({ ...auth, renewedAt: Date.now() });
    localStorage.removeItem(CID_KEY);
    location.reload();
  });
  $("#new-consultation").addEventListener("click", () => { state.consultation = null; state.chat = null; show("start"); $("#summary").focus(); });

  if (new URLSearchParams(location.search).has("demo")) {
    const { workerDemo } = await import("./demo.js");
    return workerDemo({ state, show, fillPickers, enterLive, renderStatus, toClosed, setRating });
  }

  loadPickers();
  loadDuty();
  for (let attempt = 0; ; attempt++) {
    try {
      await ensureAuth();
      const open = await findOpenConsultation();
      if (!state.catalog) { try { state.catalog = await loadCatalog(); } catch { /* labels fall back to ids */ } }
      if (!state.hub) renderConnectionBanner($("#connection-banner"), "connected");
      if (open) enterLive(open); else show("start");
      setupPush(call);
      return;
    } catch (e) {
      show("start");
      renderConnectionBanner($("#connection-banner"), "offline");
      await new Promise((r) => setTimeout(r, Math.min(5000, 1000 * (attempt + 1))));
      if (state.consultation) return; // the worker started one meanwhile
    }
  }
}

boot();
