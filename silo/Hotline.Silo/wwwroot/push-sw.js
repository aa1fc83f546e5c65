// Service worker of the worker page (Web Push). It sits at the site root so that it controls "/".
// A push names only what happened and which consultation: the text of the notification is fixed here, so nothing
// the worker or the lawyer wrote ever shows on a lock screen.
const TEXT = {
  zh: { title: "12351 职工维权在线咨询", assigned: "律师已接入您的咨询，点击继续。", message: "律师给您发来了新消息，点击查看。" },
  en: { title: "12351 Worker Rights Online Help", assigned: "A lawyer has taken your consultation. Tap to continue.", message: "The lawyer sent you a new message. Tap to read it." },
};

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let notice = {};
  try { notice = event.data ? event.data.json() : {}; } catch { notice = {}; }
  const lang = (self.navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en";
  const text = TEXT[lang];
  event.waitUntil(self.registration.showNotification(text.title, {
    body: notice.kind === "assigned" ? text.assigned : text.message,
    tag: `consultation-${notice.consultationId || ""}`,
    renotify: true,
    data: { url: "/" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const page = pages.find((c) => new URL(c.url).pathname === "/" || new URL(c.url).pathname === "/index.html");
    if (page) return page.focus();
    return self.clients.openWindow("/");
  })());
});
