// Lawyer console: availability and capacity, offers with countdown, several chats at once,
// canned replies, private notes, transfer and close with a resolution.
import {
  $, $$, addStrings, api, applyI18n, el, errorCode, errorText, fmtDuration, fmtTime, getLang, keepHub, labelOf,
  loadCatalog, onLangChange, renderConnectionBanner, setupLangSwitch, t, toast,
} from "./common.js";
import { Chat, throttleTyping } from "./chat.js";
import { renderConflict, setupConflict } from "./lawyer-conflict.js";

addStrings({
  "l.pageTitle": ["12351 律师工作台", "12351 Lawyer console"],
  "l.brand": ["律师工作台", "Lawyer console"],
  "l.callTitle": ["电话咨询：请拨打职工电话", "Phone consultation: call the worker"],
  "l.callReached": ["已拨通", "Called, reached"],
  "l.callNoAnswer": ["未接通，稍后再拨", "No answer, try later"],
  "l.callOutcome.reached": ["已拨通", "reached"],
  "l.callOutcome.no_answer": ["未接通", "no answer"],
  "l.callbackAsked": ["职工要求回拨", "The caller asked to be called back"],
  "l.advice": ["给职工的建议（职工可见：下一步怎么做、带哪些材料、期限）", "Advice to the worker (shown to them: next steps, documents, deadlines)"],
  "l.brandSub": ["12351 职工维权热线 · 在线法律咨询", "12351 worker-rights hotline · online legal help"],
  "l.availability": ["状态", "Status"],
  "l.available": ["在线接单", "Available"], "l.away": ["暂离", "Away"], "l.offline": ["离线", "Offline"],
  "l.capacity": ["同时接待", "Capacity"],
  "l.logout": ["退出", "Sign out"],
  "l.loginTitle": ["律师登录", "Lawyer sign-in"],
  "l.loginText": ["使用工会法律服务账号登录，接待职工在线咨询。", "Sign in with your union legal-service account to answer workers."],
  "l.username": ["用户名", "Username"], "l.password": ["密码", "Password"], "l.login": ["登录", "Sign in"],
  "l.notLawyer": ["此账号不是律师账号", "This account is not a lawyer account"],
  "l.badLogin": ["用户名或密码错误", "Wrong username or password"],
  "l.offers": ["待接咨询", "Offers"],
  "l.noOffers": ["暂无新的咨询。状态为“在线接单”时，新咨询会出现在这里。", "No offers. New consultations appear here while you are available."],
  "l.active": ["我的咨询", "My consultations"],
  "l.waiting": ["等待中 · 可接", "Waiting for me"],
  "l.noWaiting": ["没有等待中的咨询", "Nobody is waiting for you"],
  "l.take": ["接入", "Take"],
  "l.noActive": ["还没有进行中的咨询", "No consultations in progress"],
  "l.load": ["负荷 {n}/{cap}", "Load {n}/{cap}"],
  "l.waited": ["已等待 {d}", "waited {d}"],
  "l.accept": ["接入", "Accept"], "l.decline": ["婉拒", "Decline"],
  "l.offerTimeout": ["接入超时，状态已改为暂离", "Offer timed out; you were set to away"],
  "l.offerTaken": ["该咨询已由其他律师接入", "Another lawyer took that consultation"],
  "l.offerCancelled": ["职工已取消该咨询", "The worker cancelled that consultation"],
  "l.newOffer": ["新咨询", "New offer"],
  "l.noSelection": ["接入咨询后在这里与职工对话", "Accept an offer to chat with the worker here"],
  "l.typing": ["职工正在输入…", "The worker is typing…"],
  "l.inputPh": ["输入回复，Enter 发送，Shift+Enter 换行", "Reply… Enter sends, Shift+Enter for a new line"],
  "l.send": ["发送", "Send"],
  "l.worker": ["职工", "Worker"],
  "l.canned": ["常用答复", "Canned replies"], "l.notes": ["内部备注", "Notes"], "l.actions": ["转接 / 结束", "Transfer / close"],
  "l.cannedFilter": ["搜索答复、法条…", "Search replies, statutes…"],
  "l.cannedAll": ["显示全部类别", "Show all categories"],
  "l.noCanned": ["没有匹配的常用答复", "No matching replies"],
  "l.notesHint": ["备注仅律师和管理员可见，职工看不到。", "Notes are visible to lawyers and admins only, never to the worker."],
  "l.notePh": ["记录案情要点、证据线索、后续安排…", "Key facts, evidence, follow-up…"],
  "l.addNote": ["添加备注", "Add note"],
  "l.noNotes": ["暂无备注", "No notes yet"],
  "l.transferTitle": ["转接", "Transfer"],
  "l.transferHint": ["转给其他类别的律师或指定律师，可附说明。", "Hand over to another category's lawyers or a named lawyer, with a note."],
  "l.transfer": ["转接…", "Transfer…"],
  "l.toCategory": ["转到类别", "To category"],
  "l.keepCategory": ["（不改变类别）", "(keep category)"],
  "l.toLawyer": ["或指定律师 ID（选填）", "Or a lawyer id (optional)"],
  "l.transferNote": ["给接手律师的说明", "Note for the next lawyer"],
  "l.cancel": ["取消", "Cancel"], "l.doTransfer": ["确认转接", "Transfer"],
  "l.transferNeedTarget": ["请选择类别或填写律师 ID", "Choose a category or enter a lawyer id"],
  "l.transferred": ["已转接", "Transferred"],
  "l.requeuedAway": ["该咨询已重新派单，不再由您负责", "This consultation went back to routing and is no longer yours"],
  "l.closeTitle": ["结束咨询", "Close"],
  "l.resolution": ["处理结果", "Resolution"],
  "l.closeSummary": ["处理小结（选填）", "Summary (optional)"],
  "l.close": ["结束本次咨询", "Close consultation"],
  "l.closed": ["咨询已结束", "Consultation closed"],
  "l.dismiss": ["移出列表", "Remove from list"],
  "l.ended": ["职工已离开", "The worker left"],
  "l.workerClosed": ["职工已结束本次咨询", "The worker closed the consultation"],
  "res.answered": ["已解答", "Answered"],
  "res.referred_mediation": ["转调解", "Referred to mediation"],
  "res.referred_arbitration": ["转仲裁", "Referred to arbitration"],
  "res.referred_legal_aid": ["转法律援助", "Referred to legal aid"],
  "res.no_response": ["职工无回应", "No response"],
});

const SESSION_KEY = "hotline.lawyer";
const OPEN = new Set(["queued", "offered", "active"]);
const S = {
  session: null, me: null, catalog: null, canned: [], hub: null,
  offers: new Map(), // consultationId -> {offer, node}
  convs: new Map(), // consultationId -> {view, chat, list, tab, unread}
  selected: null, sideTab: "canned", typingTimer: 0,
};
const invoke = (...a) => S.hub.invoke(...a);

// ---------- session ----------
function readSession() { try { return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null"); } catch { return null; } }

async function login(ev) {
  ev.preventDefault();
  const err = $("#login-error");
  err.hidden = true;
  const btn = $("#login-submit");
  btn.disabled = true;
  try {
    const r = await api("/api/auth/login", { method: "POST", body: { username: $("#login-username").value.trim(), password: $("#login-password").value } });
    if (r.role !== "lawyer") throw Object.assign(new Error(t("l.notLawyer")), { own: true });
    S.session = r;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(r));
    $("#login-password").value = "";
    enterConsole();
  } catch (e) {
    err.hidden = false;
    err.textContent = e.own ? e.message : e.status === 401 ? t("l.badLogin") : errorText(e);
  } finally {
    btn.disabled = false;
  }
}

function logout() {
  S.hub?.stop();
  S.hub = null;
  sessionStorage.removeItem(SESSION_KEY);
  S.session = null; S.me = null; S.selected = null;
  S.offers.clear(); S.convs.clear();
  $("#offers").replaceChildren(); $("#tabs").replaceChildren();
  renderConnectionBanner($("#connection-banner"), "connected");
  showView("login");
}

function showView(v) {
  $("#view-login").hidden = v !== "login";
  $("#view-console").hidden = v !== "console";
  $("#controls").hidden = v !== "console";
}

async function enterConsole() {
  showView("console");
  $("#me-name").textContent = S.session.displayName || "";
  renderOffers(); renderTabs(); renderSelected();
  try { S.catalog = await loadCatalog(); } catch { /* labels fall back to ids */ }
  fillTransferCategories();
  loadCanned();
  // echo=false: Chat files an own message from its ack, so the server leaves this connection out of its push.
  S.hub = keepHub("/hubs/lawyer?echo=false", {
    token: () => S.session?.token,
    onState: (s) => {
      if (s === "unauthorized") { logout(); toast(t("err.unauthorized"), "error"); return; }
      renderConnectionBanner($("#connection-banner"), s);
      $("#view-console").classList.toggle("has-banner", s !== "connected");
    },
    onUp: resync,
    handlers: {
      Offer: (o) => { addOffer(o); refreshWaiting(); },
      // The router changed this lawyer's availability (e.g. away after an offer timed out).
      LawyerStatus: (v) => { if (v?.status) applyMe(v); },
      OfferRevoked: (r) => {
        removeOffer(r.consultationId);
        refreshWaiting();
        const key = { timeout: "l.offerTimeout", taken: "l.offerTaken", cancelled: "l.offerCancelled" }[r.reason];
        if (key) toast(t(key), r.reason === "timeout" ? "error" : "info");
        if (r.reason === "timeout") refreshMe();
      },
      Assigned: (a) => {
        refreshWaiting();
        if (a.lawyerId === S.session?.userId) joinConv(a.consultationId);
        else if (S.convs.has(a.consultationId)) dropConv(a.consultationId);
      },
      Message: (m) => S.convs.get(m.consultationId)?.chat.merge([m]),
      MessageWithdrawn: (w) => {
        const c = S.convs.get(w.consultationId);
        const m = c?.chat.messages.get(w.seq);
        if (!c?.chat.withdraw(w)) return;
        // The tab may preview or count the message that was not stored.
        if (m.senderRole === "worker" && c.unread > 0) c.unread--;
        if (c.last === m) c.last = c.chat.messages.get(c.chat.maxSeq);
        renderTab(c);
      },
      Typing: (e) => { if (e.role !== "lawyer" && e.consultationId === S.selected) showTyping(); },
      StatusChanged: (s) => {
        const c = S.convs.get(s.consultationId);
        if (c) {
          const wasOpen = OPEN.has(c.view.status);
          c.view.status = s.status;
          renderTabs();
          if (S.selected === c.view.id) renderSelected();
          if (wasOpen && !OPEN.has(s.status) && !c.closingHere) toast(t(s.status === "abandoned" ? "l.ended" : "l.workerClosed"), "info");
        }
        if (!OPEN.has(s.status)) removeOffer(s.consultationId);
        refreshWaiting();
      },
    },
  });
}

function applyMe(me) {
  S.me = me;
  $("#availability").value = me.status;
  $("#status-dot").dataset.status = me.status;
  $("#capacity").value = me.capacity;
  if (me.displayName) $("#me-name").textContent = me.displayName;
  renderLoad();
  refreshWaiting(); // what this lawyer may take depends on status and capacity
}

async function refreshMe() {
  try { applyMe(await invoke("GetMe")); } catch { /* older server: keep the form values */ }
}

// ---------- waiting for me (pull) ----------
let waitingTimer;
/** Re-reads the consultations this lawyer could take now; debounced, since events come in bursts. */
function refreshWaiting() {
  clearTimeout(waitingTimer);
  waitingTimer = setTimeout(async () => {
    try { renderWaiting(await invoke("GetQueue")); } catch (e) { console.warn(e); }
  }, 300);
}

function renderWaiting(list) {
  // One of mine that went back to the queue (admin requeue) keeps its tab, and can be taken again from here; one I may
  // not take again (a conflict of interest I declared, under any spelling of the employer; another category) leaves.
  const items = (list || []).filter((v) => S.convs.get(v.id)?.view.status !== "active");
  const takeable = new Set(items.map((v) => v.id));
  for (const c of [...S.convs.values()]) if (c.view.status === "queued" && !takeable.has(c.view.id)) dropConv(c.view.id, "l.requeuedAway");
  const nodes = items.map((v) => el("div.offer", { "data-testid": "waiting-item", "data-consultation-id": v.id },
    el("div.offer-top", {}, el("span.cat", {}, labelOf(S.catalog?.categories, v.category))),
    el("div.small.muted", {}, [labelOf(S.catalog?.dialects, v.dialect), t(`channel.${v.channel}`),
      t("l.waited", { d: fmtDuration((Date.now() - new Date(v.createdAt)) / 1000) })].join(" · ")),
    el("div.summary", {}, v.summary || ""),
    el("div.actions", {},
      el("button.btn.btn-primary.btn-sm", { type: "button", "data-testid": "take", onclick: (ev) => take(v.id, ev.currentTarget) }, t("l.take")))));
  $("#waiting").replaceChildren(...(nodes.length ? nodes : [el("div.empty", {}, t("l.noWaiting"))]));
  $("#waiting-count").textContent = items.length;
  $("#waiting-count").classList.toggle("zero", items.length === 0);
}

async function take(id, button) {
  if (button) button.disabled = true;
  try {
    const r = await invoke("Claim", id);
    removeOffer(id, true);
    const c = ensureConv(r.consultation);
    c.chat.joined(r);
    select(id);
  } catch (e) {
    toast(errorText(e), "error");
  }
  refreshWaiting();
}

/** After (re)connecting: refresh me, rejoin every active consultation, merge what was missed. */
async function resync() {
  refreshWaiting();
  await refreshMe();
  let mine = [];
  try { mine = await invoke("GetMyConsultations"); } catch (e) { console.warn(e); }
  const activeIds = new Set();
  for (const v of mine || []) {
    if (v.status !== "active") continue;
    if (v.assignedLawyerId && v.assignedLawyerId !== S.session.userId) continue;
    activeIds.add(v.id);
    await joinConv(v.id, v);
  }
  for (const [id, c] of S.convs) {
    if (!activeIds.has(id) && OPEN.has(c.view.status)) await joinConv(id);
  }
}

// ---------- offers ----------
function addOffer(o) {
  if (S.convs.has(o.consultationId)) return;
  removeOffer(o.consultationId, true);
  const node = el("div.offer", { "data-testid": "offer", "data-consultation-id": o.consultationId },
    el("div.offer-top", {},
      el("span.cat", {}, labelOf(S.catalog?.categories, o.category)),
      el("span.countdown", { "data-testid": "offer-countdown" }, "")),
    el("div.small.muted", {}, [labelOf(S.catalog?.dialects, o.dialect), t(`channel.${o.channel}`), t("l.waited", { d: fmtDuration(o.waitedSeconds) })].join(" · ")),
    el("div.summary", {}, o.summary || ""),
    el("div.actions", {},
      el("button.btn.btn-primary.btn-sm", { type: "button", "data-testid": "accept", onclick: () => accept(o.consultationId) }, t("l.accept")),
      el("button.btn.btn-outline.btn-sm", { type: "button", "data-testid": "decline", onclick: () => decline(o.consultationId) }, t("l.decline"))),
    el("div.bar", {}));
  const total = Math.max(1, new Date(o.expiresAt) - Date.now());
  S.offers.set(o.consultationId, { offer: o, node, total });
  renderOffers();
  tickOffers();
  beep();
}

function removeOffer(id, silent) {
  const x = S.offers.get(id);
  if (!x) return;
  S.offers.delete(id);
  x.node.remove();
  if (!silent) renderOffers();
}

function renderOffers() {
  const box = $("#offers");
  const nodes = [...S.offers.values()].sort((a, b) => new Date(a.offer.expiresAt) - new Date(b.offer.expiresAt)).map((x) => x.node);
  box.replaceChildren(...(nodes.length ? nodes : [el("div.empty", {}, t("l.noOffers"))]));
  const n = S.offers.size;
  $("#offer-count").textContent = n;
  $("#offer-count").classList.toggle("zero", n === 0);
  updateTitle();
}

function tickOffers() {
  const now = Date.now();
  for (const [id, x] of S.offers) {
    const left = new Date(x.offer.expiresAt) - now;
    if (left < -3000) { removeOffer(id); continue; }
    $(".countdown", x.node).textContent = `${Math.max(0, Math.ceil(left / 1000))}s`;
    $(".bar", x.node).style.width = `${Math.max(0, Math.min(100, (left / x.total) * 100))}%`;
  }
}

async function accept(id) {
  const x = S.offers.get(id);
  if (!x) return;
  $$("button", x.node).forEach((b) => { b.disabled = true; });
  try {
    const r = await invoke("AcceptOffer", id);
    removeOffer(id);
    const c = ensureConv(r.consultation);
    c.chat.joined(r);
    select(id);
    $("#chat-input").focus();
  } catch (e) {
    toast(errorText(e), "error");
    if (["conflict", "not_found", "forbidden"].includes(errorCode(e))) removeOffer(id);
    else $$("button", x.node).forEach((b) => { b.disabled = false; });
  }
}

async function decline(id) {
  try { await invoke("DeclineOffer", id); } catch (e) { if (!["conflict", "not_found"].includes(errorCode(e))) { toast(errorText(e), "error"); return; } }
  removeOffer(id);
}

let audioCtx;
function beep() {
  try {
    audioCtx ??= new AudioContext();
    const o = audioCtx.createOscillator(), g = audioCtx.createGain();
    o.frequency.value = 880; g.gain.value = 0.05;
    o.connect(g).connect(audioCtx.destination);
    o.start(); o.stop(audioCtx.currentTime + 0.15);
  } catch { /* audio not allowed yet */ }
}

// ---------- consultations ----------
function ensureConv(view) {
  let c = S.convs.get(view.id);
  if (c) { Object.assign(c.view, view); renderTab(c); return c; }
  const list = el("div.messages", { "data-scroll": true, role: "log", "aria-live": "polite", "data-consultation-id": view.id });
  c = { view: { ...view }, list, unread: 0, tab: null };
  c.chat = new Chat({
    list, consultationId: view.id, storage: sessionStorage, myRole: "lawyer", myId: S.session?.userId,
    isMine: (m) => m.senderRole === "lawyer" && (!S.session?.userId || !m.senderId || m.senderId === S.session.userId),
    showNames: true,
    onMessage: (m) => {
      c.last = m;
      if (m.senderRole === "worker" && (S.selected !== view.id || document.hidden)) { c.unread++; beep(); }
      if (m.senderRole === "worker" && S.selected === view.id) hideTyping();
      renderTab(c);
    },
  });
  S.convs.set(view.id, c);
  renderTabs();
  if (!S.selected) select(view.id);
  return c;
}

async function joinConv(id, view) {
  const c = view ? ensureConv(view) : S.convs.get(id);
  try {
    const r = await invoke("JoinConsultation", id, c ? c.chat.rejoinSeq() : 0);
    const conv = ensureConv(r.consultation);
    conv.chat.joined(r);
    if (OPEN.has(conv.view.status)) await conv.chat.flush(invoke);
    if (S.selected === id) renderSelected();
  } catch (e) {
    if (["forbidden", "not_found"].includes(errorCode(e)) && S.convs.has(id)) dropConv(id);
  }
}

function dropConv(id, reasonKey) {
  const c = S.convs.get(id);
  if (!c) return;
  S.convs.delete(id);
  if (reasonKey) toast(t(reasonKey), "ok");
  if (S.selected === id) S.selected = [...S.convs.keys()][0] || null;
  renderTabs();
  renderSelected();
}

function renderTabs() {
  const box = $("#tabs");
  const convs = [...S.convs.values()];
  for (const c of convs) renderTab(c);
  box.replaceChildren(...(convs.length ? convs.map((c) => c.tab) : [el("div.empty", {}, t("l.noActive"))]));
  const n = convs.filter((c) => OPEN.has(c.view.status)).length;
  $("#active-count").textContent = n;
  $("#active-count").classList.toggle("zero", n === 0);
  renderLoad();
  updateTitle();
}

function renderTab(c) {
  const v = c.view;
  const tab = c.tab || el("button.tab", { type: "button", role: "tab", "data-testid": "consultation-tab", "data-consultation-id": v.id, onclick: () => select(v.id) });
  c.tab = tab;
  tab.setAttribute("aria-selected", String(S.selected === v.id));
  tab.classList.toggle("ended", !OPEN.has(v.status));
  const lastText = c.last ? `${c.last.senderRole === "worker" ? "" : "↩ "}${c.last.text}` : v.summary || "";
  tab.replaceChildren(
    el("div.tab-top", {},
      el("span.tab-name", {}, labelOf(S.catalog?.categories, v.category)),
      el("span.unread", { "data-testid": "unread", "data-count": c.unread }, c.unread)),
    el("div.tab-sub", {}, `${labelOf(S.catalog?.dialects, v.dialect)} · ${t(`channel.${v.channel || "web"}`)}${OPEN.has(v.status) ? "" : ` · ${t(`status.${v.status}`)}`}`),
    el("div.tab-sub", {}, lastText));
  if (S.convs.size) updateTitle();
}

function renderLoad() {
  const cap = S.me?.capacity ?? Number($("#capacity").value);
  const n = [...S.convs.values()].filter((c) => c.view.status === "active").length;
  $("#load-text").textContent = t("l.load", { n, cap });
}

function updateTitle() {
  const unread = [...S.convs.values()].reduce((s, c) => s + c.unread, 0);
  const n = S.offers.size + unread;
  document.title = `${n ? `(${n}) ` : ""}${t("l.pageTitle")}`;
}

function select(id) {
  S.selected = id;
  const c = S.convs.get(id);
  if (c) { c.unread = 0; }
  for (const x of S.convs.values()) renderTab(x);
  hideTyping();
  renderSelected();
  renderCanned();
  if (S.sideTab === "notes") loadNotes();
  updateTitle();
}

function renderSelected() {
  const c = S.convs.get(S.selected);
  $("#chat-empty").hidden = !!c;
  $("#chat-wrap").hidden = !c;
  if (!c) return;
  const v = c.view;
  renderConflict(v);
  $("#chat-title").textContent = `${labelOf(S.catalog?.categories, v.category)}`;
  const pill = $("#chat-status");
  pill.dataset.status = v.status; pill.textContent = t(`status.${v.status}`);
  $("#chat-meta").textContent = [labelOf(S.catalog?.dialects, v.dialect), t(`channel.${v.channel || "web"}`),
    v.createdAt ? fmtTime(v.createdAt) : "", v.id].filter(Boolean).join(" · ");
  $("#chat-summary").textContent = v.summary || "";
  const current = $("#chat-wrap .messages");
  if (current !== c.list) current.replaceWith(c.list);
  c.chat.scroll();
  const open = OPEN.has(v.status);
  // A phone consultation is a call: the number to dial and the outcome buttons, no chat box with nobody on the other side.
  const phone = v.channel === "phone";
  $("#call-box").hidden = !phone;
  $("#composer").hidden = phone;
  if (phone) {
    const number = v.callbackNumber || "";
    $("#call-number").textContent = number || "—";
    if (number) $("#call-number").setAttribute("href", `tel:${number}`); else $("#call-number").removeAttribute("href");
    $("#call-reached").disabled = !open || v.status !== "active"; $("#call-no-answer").disabled = !open || v.status !== "active";
    const attempts = (v.callAttempts || []).map((a) => `${fmtTime(a.at)} ${t(`l.callOutcome.${a.outcome}`)}`);
    $("#call-attempts").textContent = [v.callback ? t("l.callbackAsked") : "", ...attempts].filter(Boolean).join(" · ");
  }
  $("#chat-input").disabled = !open; $("#send").disabled = !open;
  $("#transfer").disabled = !open;
  // A consultation that already ended only leaves the list.
  $("#resolution").disabled = !open; $("#close-summary").disabled = !open; $("#close-advice").disabled = !open;
  $("#close-consultation").textContent = t(open ? "l.close" : "l.dismiss");
}

function showTyping() {
  $("#typing").hidden = false;
  clearTimeout(S.typingTimer);
  S.typingTimer = setTimeout(hideTyping, 3500);
}
function hideTyping() { clearTimeout(S.typingTimer); $("#typing").hidden = true; }

function sendCurrent() {
  const c = S.convs.get(S.selected);
  const input = $("#chat-input");
  const text = input.value.trim();
  if (!c || !text) return;
  input.value = "";
  c.chat.send(text, invoke);
}
const typing = throttleTyping(() => { if (S.hub?.connected() && S.selected) return invoke("Typing", S.selected); });

// ---------- canned replies ----------
async function loadCanned() {
  try {
    const r = await api("/api/canned-replies", { token: S.session?.token });
    S.canned = Array.isArray(r) ? r : r?.replies || [];
  } catch { S.canned = []; }
  renderCanned();
}

function renderCanned() {
  const c = S.convs.get(S.selected);
  const all = $("#canned-all").checked || !c;
  const q = $("#canned-filter").value.trim().toLowerCase();
  const items = S.canned.filter((r) => (all || r.category === c.view.category)
    && (!q || [r.title, r.titleEn, r.text, r.statute].some((s) => s?.toLowerCase().includes(q))));
  $("#canned-list").replaceChildren(...(items.length ? items.map((r) =>
    el("button.canned", { type: "button", "data-testid": "canned-reply", "data-id": r.id, title: r.text, onclick: () => insertText(r.text) },
      el("div.c-title", {}, getLang() === "en" && r.titleEn ? r.titleEn : r.title),
      el("div.c-en", {}, getLang() === "en" ? r.title : r.titleEn || ""),
      r.statute ? el("div.c-statute", {}, r.statute) : null)) : [el("div.empty", {}, t("l.noCanned"))]));
}

function insertText(text) {
  const i = $("#chat-input");
  if (i.disabled) return;
  const { selectionStart: s = i.value.length, selectionEnd: e = i.value.length } = i;
  i.value = i.value.slice(0, s) + text + i.value.slice(e);
  i.focus();
  i.selectionStart = i.selectionEnd = s + text.length;
}

// ---------- notes ----------
async function loadNotes() {
  const id = S.selected;
  const box = $("#notes-list");
  if (!id) { box.replaceChildren(); return; }
  try {
    const notes = await invoke("GetNotes", id);
    if (S.selected !== id) return;
    box.replaceChildren(...(notes?.length ? [...notes].reverse().map((n) =>
      el("div.note", { "data-testid": "note" }, n.text, el("div.n-meta", {}, `${n.lawyerName || ""} · ${fmtTime(n.at)}`))) : [el("div.empty", {}, t("l.noNotes"))]));
  } catch (e) { box.replaceChildren(el("div.empty", {}, errorText(e))); }
}

async function addNote() {
  const text = $("#note-input").value.trim();
  if (!text || !S.selected) return;
  const btn = $("#add-note");
  btn.disabled = true;
  try {
    await invoke("AddNote", S.selected, text);
    $("#note-input").value = "";
    await loadNotes();
  } catch (e) { toast(errorText(e), "error"); } finally { btn.disabled = false; }
}

// ---------- transfer / close ----------
function fillTransferCategories() {
  const sel = $("#transfer-category");
  const cats = S.catalog?.categories || [];
  sel.replaceChildren(el("option", { value: "" }, t("l.keepCategory")), ...cats.map((c) => el("option", { value: c.id }, labelOf(cats, c.id))));
}

async function doTransfer() {
  const id = S.selected;
  const toCategory = $("#transfer-category").value || undefined;
  const toLawyerId = $("#transfer-lawyer").value.trim() || undefined;
  const note = $("#transfer-note").value.trim() || undefined;
  if (!toCategory && !toLawyerId) { toast(t("l.transferNeedTarget"), "error"); return; }
  const btn = $("#transfer-confirm");
  btn.disabled = true;
  try {
    await invoke("Transfer", id, { toCategory, toLawyerId, note });
    $("#transfer-dialog").close();
    dropConv(id, "l.transferred");
  } catch (e) { toast(errorText(e), "error"); } finally { btn.disabled = false; }
}

async function closeConsultation() {
  const id = S.selected;
  const c = S.convs.get(id);
  if (!c) return;
  const btn = $("#close-consultation");
  btn.disabled = true;
  try {
    c.closingHere = true;
    if (OPEN.has(c.view.status))
      await invoke("CloseConsultation", id, $("#resolution").value, $("#close-summary").value.trim() || null, $("#close-advice").value.trim() || null);
    $("#close-summary").value = "";
    $("#close-advice").value = "";
    dropConv(id, "l.closed");
  } catch (e) {
    c.closingHere = false;
    if (errorCode(e) === "conflict" && !OPEN.has(c.view.status)) dropConv(id);
    else toast(errorText(e), "error");
  } finally { btn.disabled = false; }
}

async function recordCall(outcome) {
  const id = S.selected;
  const c = S.convs.get(id);
  if (!c) return;
  try {
    const view = await invoke("RecordCallAttempt", id, outcome);
    if (view) c.view = { ...c.view, ...view };
    renderSelected();
  } catch (e) { toast(errorText(e), "error"); }
}

// ---------- boot ----------
function selectSide(name) {
  S.sideTab = name;
  for (const b of $$(".side-tabs button")) b.setAttribute("aria-selected", String(b.dataset.side === name));
  for (const p of $$("[data-side-panel]")) p.hidden = p.dataset.sidePanel !== name;
  if (name === "notes") loadNotes();
}

async function boot() {
  setupLangSwitch($("#lang-switch"));
  applyI18n();
  onLangChange(() => {
    renderOffers(); for (const x of S.offers.values()) { /* labels inside offers stay; they are rebuilt on next offer */ }
    renderTabs(); renderSelected(); renderCanned(); fillTransferCategories(); renderLoad(); updateTitle();
    for (const c of S.convs.values()) c.chat.rerender();
  });
  $("#login-form").addEventListener("submit", login);
  $("#logout").addEventListener("click", logout);
  $("#availability").addEventListener("change", async (e) => {
    const v = e.target.value;
    $("#status-dot").dataset.status = v;
    try { await invoke("SetAvailability", v); if (S.me) S.me.status = v; } catch (err) { toast(errorText(err), "error"); refreshMe(); }
  });
  $("#capacity").addEventListener("change", async (e) => {
    const n = Math.max(1, Math.min(10, Math.round(Number(e.target.value) || 1)));
    e.target.value = n;
    try { await invoke("SetCapacity", n); if (S.me) S.me.capacity = n; renderLoad(); } catch (err) { toast(errorText(err), "error"); refreshMe(); }
  });
  $("#composer").addEventListener("submit", (e) => { e.preventDefault(); sendCurrent(); });
  $("#call-reached").addEventListener("click", () => recordCall("reached"));
  $("#call-no-answer").addEventListener("click", () => recordCall("no_answer"));
  $("#chat-input").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); sendCurrent(); }
  });
  $("#chat-input").addEventListener("input", typing);
  $("#canned-filter").addEventListener("input", renderCanned);
  $("#canned-all").addEventListener("change", renderCanned);
  for (const b of $$(".side-tabs button")) b.addEventListener("click", () => selectSide(b.dataset.side));
  $("#add-note").addEventListener("click", addNote);
  $("#transfer").addEventListener("click", () => {
    $("#transfer-category").value = ""; $("#transfer-lawyer").value = ""; $("#transfer-note").value = "";
    $("#transfer-dialog").showModal();
  });
  $("#transfer-cancel").addEventListener("click", () => $("#transfer-dialog").close());
  $("#transfer-confirm").addEventListener("click", doTransfer);
  $("#close-consultation").addEventListener("click", closeConsultation);
  // Declared on the selected consultation's employer: that consultation went back to routing, so it leaves the console.
  setupConflict({ invoke, onDeclared: (employer) => { const c = S.convs.get(S.selected); if (c && c.view.employer === employer) dropConv(c.view.id); } });
  document.addEventListener("visibilitychange", () => { if (!document.hidden && S.selected) select(S.selected); });
  setInterval(tickOffers, 250);

  if (new URLSearchParams(location.search).has("demo")) {
    const { lawyerDemo } = await import("./demo.js");
    return lawyerDemo({ S, showView, addOffer, ensureConv, select, renderCanned, fillTransferCategories, renderLoad, selectSide });
  }
  S.session = readSession();
  if (S.session?.token && S.session.role === "lawyer") enterConsole();
  else showView("login");
}

boot();
