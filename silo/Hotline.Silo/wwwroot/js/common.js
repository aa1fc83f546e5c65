// Shared helpers for the Hotline12351 pages: i18n, REST, SignalR connection, formatting.
// Loaded as an ES module; SignalR comes from lib/signalr.min.js (global `signalR`), its MessagePack protocol from
// lib/signalr-protocol-msgpack.min.js (global `signalR.protocols.msgpack`).

// ---------- i18n ----------
const LANG_KEY = "hotline.lang";
const dict = { zh: {}, en: {} };
const langListeners = [];

export function addStrings(strings) {
  for (const [key, [zh, en]] of Object.entries(strings)) {
    dict.zh[key] = zh;
    dict.en[key] = en;
  }
}

export function getLang() {
  const v = localStorage.getItem(LANG_KEY);
  return v === "en" ? "en" : "zh";
}

export function setLang(lang) {
  localStorage.setItem(LANG_KEY, lang === "en" ? "en" : "zh");
  applyI18n();
  for (const fn of langListeners) fn(getLang());
}

export function onLangChange(fn) { langListeners.push(fn); }

/** Translate `key`, replacing {name} placeholders from vars. */
export function t(key, vars = {}) {
  const s = dict[getLang()][key] ?? dict.zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ""));
}

/** Fill every [data-i18n] (text), [data-i18n-placeholder], [data-i18n-title], [data-i18n-aria] element. */
export function applyI18n(root = document) {
  const lang = getLang();
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  if (document.body?.dataset.titleKey) document.title = t(document.body.dataset.titleKey);
}

/** Wire a button that toggles 中文/English; its label shows the other language. */
export function setupLangSwitch(button) {
  const render = () => { button.textContent = getLang() === "zh" ? "English" : "中文"; };
  button.setAttribute("aria-label", "中文 / English");
  button.addEventListener("click", () => setLang(getLang() === "zh" ? "en" : "zh"));
  onLangChange(render);
  render();
}

addStrings({
  "err.network": ["网络连接失败，请稍后再试", "Network error, please try again"],
  "err.forbidden": ["没有权限执行此操作", "You are not allowed to do this"],
  "err.not_found": ["没有找到相关记录", "Not found"],
  "err.conflict": ["状态已变化，请刷新后再试", "That changed meanwhile; please retry"],
  "err.rate_limited": ["操作太频繁，请稍候", "Too many requests, please wait"],
  "err.validation_failed": ["填写的内容有误", "Please check what you entered"],
  "err.unauthorized": ["登录已失效，请重新登录", "Session expired, please sign in again"],
  "err.generic": ["出错了：{detail}", "Something went wrong: {detail}"],
  "conn.connecting": ["正在连接服务器…", "Connecting…"],
  "conn.reconnecting": ["网络不稳定，正在重新连接…", "Connection lost, reconnecting…"],
  "conn.connected": ["已连接", "Connected"],
  "conn.offline": ["暂时无法连接服务器，正在重试…", "Cannot reach the server, retrying…"],
  "dur.s": ["{s}秒", "{s} s"],
  "dur.ms": ["{m}分{s}秒", "{m} min {s} s"],
  "dur.m": ["约{m}分钟", "~{m} min"],
  "dur.h": ["{h}小时{m}分", "{h} h {m} min"],
  "status.queued": ["排队中", "Waiting in queue"],
  "status.offered": ["正在为您接通律师", "Connecting you to a lawyer"],
  "status.active": ["律师服务中", "In conversation"],
  "status.closed": ["已结束", "Closed"],
  "status.abandoned": ["已离开", "Left the queue"],
  "channel.web": ["网页", "Web"],
  "channel.phone": ["电话", "Phone"],
  "channel.wechat": ["微信", "WeChat"],
  "channel.app": ["App", "App"],
  "msg.sending": ["发送中…", "sending…"],
  "msg.sent": ["已送达 ✓", "sent ✓"],
  "msg.failed": ["等待重发", "will resend"],
});

// ---------- DOM ----------
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** el("div.card", {attrs}, children...) – tiny element builder; text children are escaped. */
export function el(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const node = document.createElement(tag || "div");
  if (classes.length) node.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "text") node.textContent = v;
    // Through the CSSOM: the Content-Security-Policy forbids style attributes (setAttribute("style")).
    else if (k === "style") node.style.cssText = String(v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

let toastTimer;
export function toast(text, kind = "info") {
  let box = $("#toast");
  if (!box) { box = el("div#toast.toast", { role: "status", "aria-live": "polite" }); document.body.append(box); box.id = "toast"; }
  box.textContent = text;
  box.className = `toast toast-${kind} show`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove("show"), 4000);
}

// ---------- formatting ----------
export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d)) return "";
  const sameDay = new Date().toDateString() === d.toDateString();
  const opts = sameDay ? { hour: "2-digit", minute: "2-digit" } : { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" };
  return d.toLocaleString(getLang() === "en" ? "en-GB" : "zh-CN", opts);
}

export function fmtDuration(seconds, { approx = false } = {}) {
  if (seconds === undefined || seconds === null || isNaN(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t("dur.s", { s });
  if (s < 3600) return approx ? t("dur.m", { m: Math.ceil(s / 60) }) : t("dur.ms", { m: Math.floor(s / 60), s: s % 60 });
  return t("dur.h", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

export function fmtPercent(x) {
  if (x === undefined || x === null || isNaN(x)) return "—";
  return `${Math.round(x * 1000) / 10}%`;
}

// ---------- REST ----------
export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || (status === 401 ? "unauthorized" : status === 403 ? "forbidden" : status === 404 ? "not_found" : status === 409 ? "conflict" : status === 429 ? "rate_limited" : status === 0 ? "network" : "error");
  }
}

export async function api(path, { method = "GET", body, token, accept } = {}) {
  const headers = { Accept: accept || "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, "network", e.message);
  }
  if (!res.ok) {
    let code, detail;
    try {
      const p = await res.json();
      code = p.code; detail = p.detail || p.title;
    } catch { /* not json */ }
    throw new ApiError(res.status, code, detail);
  }
  if (accept && !accept.includes("json")) return res;
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/** Stable error code from an ApiError or a SignalR HubException ("...HubException: forbidden: ..."). */
export function errorCode(err) {
  if (err instanceof ApiError) return err.code;
  const m = String(err?.message || err).match(/(?:HubException:\s*)?\b([a-z_]+):\s/);
  return m ? m[1] : "error";
}

export function errorText(err) {
  const code = errorCode(err);
  const key = `err.${code}`;
  const s = t(key);
  if (s !== key) return s;
  const msg = String(err?.message || err).replace(/^.*HubException:\s*/, "");
  return t("err.generic", { detail: msg });
}

// ---------- catalog ----------
let catalogPromise;
export function loadCatalog() {
  catalogPromise ??= api("/api/catalog").catch((e) => { catalogPromise = undefined; throw e; });
  return catalogPromise;
}

// ---------- limits ----------
// Text fields carry data-maxlength / data-minlength naming a property of GET /api/limits (HotlineLimits on the
// server), so a page can never allow more than the server accepts. The server still validates every field.
let limitsPromise;
export function loadLimits() {
  limitsPromise ??= api("/api/limits").catch((e) => { limitsPromise = undefined; throw e; });
  return limitsPromise;
}

export async function applyLimits(root = document) {
  const limits = await loadLimits();
  for (const el of root.querySelectorAll("[data-maxlength]")) {
    const v = limits[el.dataset.maxlength];
    if (Number.isInteger(v)) el.maxLength = v;
  }
  for (const el of root.querySelectorAll("[data-minlength]")) {
    const v = limits[el.dataset.minlength];
    if (Number.isInteger(v)) el.minLength = v;
  }
  document.documentElement.dataset.limits = "applied";
}

export function labelOf(list, id) {
  const item = list?.find((x) => x.id === id);
  if (!item) return id || "";
  return getLang() === "en" ? item.name : (item.nameZh || item.name);
}

// ---------- SignalR ----------
/** Whether a failed start or reconnect was the server refusing the token (expired, revoked). */
const isUnauthorized = (e) => e?.statusCode === 401 || /401|Unauthorized/.test(String(e?.message));

/**
 * Backoff for reconnect: 0.5 s, 1 s, 2 s, 4 s, then 5 s forever, with a little jitter. A refused token ends the
 * reconnecting (no retry will be accepted): the connection then closes, and keepHub's restart reports "unauthorized",
 * which sends the page to sign in. Without this, a page whose token expired (the server closes such connections) or was
 * revoked stayed "reconnecting" for good.
 */
export const retryPolicy = {
  nextRetryDelayInMilliseconds(ctx) {
    if (isUnauthorized(ctx.retryReason)) return null;
    const base = Math.min(5000, 500 * 2 ** Math.min(ctx.previousRetryCount, 4));
    return base + Math.floor(Math.random() * 300);
  },
};

const PROTOCOL_KEY = "hotline.protocol";

/**
 * The hub protocol the pages speak: JSON by default; `?protocol=messagepack` switches this browser to MessagePack
 * (binary frames, smaller and cheaper for the server) and `?protocol=json` back; the choice is saved. The server
 * writes the same shapes in both (camelCase keys, enums and instants as strings), so the pages read either alike.
 * Falls back to JSON when the MessagePack script is missing.
 */
export function hubProtocol() {
  const asked = new URLSearchParams(location.search).get("protocol");
  if (asked === "messagepack" || asked === "json") localStorage.setItem(PROTOCOL_KEY, asked);
  const chosen = localStorage.getItem(PROTOCOL_KEY);
  return chosen === "messagepack" && window.signalR?.protocols?.msgpack ? "messagepack" : "json";
}

/**
 * Creates and keeps a hub connection alive forever.
 * - handlers: {EventName: fn}
 * - onUp(isReconnect): called after the first start and after every reconnect (re-join here).
 * - onState(state): "connecting" | "reconnecting" | "connected" | "offline".
 * Returns {connection, invoke, stop}.
 */
export function keepHub(path, { token, handlers = {}, onUp, onState } = {}) {
  if (!window.signalR) throw new Error("SignalR client missing (wwwroot/lib not built)");
  const builder = new signalR.HubConnectionBuilder()
    .withUrl(path, { accessTokenFactory: typeof token === "function" ? token : () => token })
    .withAutomaticReconnect(retryPolicy)
    .configureLogging(signalR.LogLevel.Warning);
  const protocol = hubProtocol() === "messagepack" ? new signalR.protocols.msgpack.MessagePackHubProtocol() : null;
  if (protocol) builder.withHubProtocol(protocol);
  const connection = builder.build();
  // Which protocol the hubs speak ("json" or "messagepack"), for support and the browser tests.
  document.documentElement.dataset.hubProtocol = protocol?.name ?? "json";
  // Handlers never return a value: the JS client treats a returned value as a client result and logs
  // "Result given for '...' method but server is not expecting a result" for plain events.
  for (const [name, fn] of Object.entries(handlers)) connection.on(name, (...args) => { fn(...args); });
  let stopped = false;
  let attempt = 0;
  const state = (s) => onState?.(s);

  connection.onreconnecting(() => state("reconnecting"));
  connection.onreconnected(async () => { state("connected"); await safe(() => onUp?.(true)); });
  connection.onclose(() => { if (!stopped) { state("offline"); setTimeout(start, 1000, true); } });

  async function start(isRestart = false) {
    if (stopped) return;
    state(isRestart || attempt > 0 ? "offline" : "connecting");
    try {
      await connection.start();
      attempt = 0;
      state("connected");
      await safe(() => onUp?.(isRestart));
    } catch (e) {
      if (isUnauthorized(e)) state("unauthorized");
      const delay = retryPolicy.nextRetryDelayInMilliseconds({ previousRetryCount: attempt++ });
      setTimeout(start, delay, isRestart);
    }
  }
  async function safe(fn) { try { await fn(); } catch (e) { console.warn(e); } }

  start();
  return {
    connection,
    invoke: (method, ...args) => connection.invoke(method, ...args),
    connected: () => connection.state === signalR.HubConnectionState.Connected,
    stop: () => { stopped = true; return connection.stop(); },
  };
}

/** Show/hide the connection banner (data-testid="connection-banner"). */
export function renderConnectionBanner(banner, state) {
  if (!banner) return;
  banner.dataset.state = state;
  const key = { connecting: "conn.connecting", reconnecting: "conn.reconnecting", offline: "conn.offline" }[state];
  if (key) {
    banner.hidden = false;
    banner.textContent = t(key);
  } else {
    banner.hidden = true;
    banner.textContent = t("conn.connected");
  }
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Fallback for non-secure contexts (plain http on a LAN address): RFC 4122 v4 from getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// Every page imports this module: set the fields' limits as soon as it loads.
applyLimits().catch(() => { /* offline: the server still refuses oversize text */ });
