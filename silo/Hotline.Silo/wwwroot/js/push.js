// Worker page: Web Push. The page registers the service worker (push-sw.js) and, when the worker asks for it,
// subscribes with the server's VAPID key and hands the subscription to POST /api/workers/me/push.
import { $, addStrings, api, t, toast } from "./common.js";

addStrings({
  "p.enable": ["页面关闭时也通知我", "Notify me when this page is closed"],
  "p.on": ["已开启通知：律师接入或回复时会提醒您。", "Notifications on: you will be told when a lawyer takes or answers your consultation."],
  "p.denied": ["浏览器已禁止通知，可在浏览器设置中开启。", "Notifications are blocked in this browser's settings."],
  "p.failed": ["暂时无法开启通知", "Could not turn notifications on"],
});

const supported = () => "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

function keyBytes(base64url) {
  const s = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function render(status) {
  const button = $("#push-enable"), note = $("#push-status");
  if (!button || !note) return;
  button.hidden = status !== "off";
  note.hidden = status === "off" || status === "unsupported";
  note.dataset.status = status;
  note.textContent = status === "on" ? t("p.on") : status === "denied" ? t("p.denied") : "";
}

/** Wires the "notify me" button; `call(path, opts)` is the page's REST call with the worker token. */
export async function setupPush(call) {
  if (!supported() || !$("#push-enable")) { render("unsupported"); return; }
  let key;
  try { key = (await api("/api/push/key")).publicKey; } catch { render("unsupported"); return; }
  let registration;
  try { registration = await navigator.serviceWorker.register("/push-sw.js", { scope: "/" }); } catch { render("unsupported"); return; }
  const existing = await registration.pushManager.getSubscription();
  // Already subscribed in this browser: refresh the server's copy (the worker may have resumed with a new token).
  if (existing && Notification.permission === "granted") {
    try { await call("/api/workers/me/push", { method: "POST", body: existing.toJSON() }); render("on"); } catch { render("off"); }
  } else {
    render(Notification.permission === "denied" ? "denied" : "off");
  }
  $("#push-enable").addEventListener("click", async () => {
    try {
      if (await Notification.requestPermission() !== "granted") { render("denied"); return; }
      const sub = (await registration.pushManager.getSubscription())
        || await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
      await call("/api/workers/me/push", { method: "POST", body: sub.toJSON() });
      render("on");
    } catch {
      toast(t("p.failed"), "error");
    }
  });
}

export function rerenderPush() {
  const note = $("#push-status");
  if (note && !note.hidden) render(note.dataset.status);
}
