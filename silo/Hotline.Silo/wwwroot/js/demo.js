// Static preview fixtures: open a page with ?demo (or ?demo=chat etc.) to see it filled with sample
// data without a backend. Used only for design review and screenshots; never loaded otherwise.
import { $ } from "./common.js";

export const catalog = {
  categories: [
    { id: "unpaid_wages", name: "Unpaid wages", nameZh: "欠薪讨薪" },
    { id: "labor_contract", name: "Labor contract", nameZh: "劳动合同" },
    { id: "dismissal", name: "Dismissal", nameZh: "解除劳动关系" },
    { id: "work_injury", name: "Work injury", nameZh: "工伤认定与赔偿" },
    { id: "social_insurance", name: "Social insurance", nameZh: "社会保险" },
    { id: "occupational_safety", name: "Occupational safety", nameZh: "职业安全卫生" },
    { id: "mediation_arbitration", name: "Mediation and arbitration", nameZh: "调解仲裁" },
    { id: "other", name: "Other", nameZh: "其他" },
  ],
  dialects: [
    { id: "mandarin", name: "Mandarin", nameZh: "普通话" },
    { id: "minnan", name: "Minnan", nameZh: "闽南话" },
    { id: "fuzhou", name: "Fuzhou", nameZh: "福州话" },
    { id: "hakka", name: "Hakka", nameZh: "客家话" },
    { id: "puxian", name: "Puxian", nameZh: "莆仙话" },
    { id: "cantonese", name: "Cantonese", nameZh: "粤语" },
    { id: "english", name: "English", nameZh: "英语" },
  ],
};

const ago = (s) => new Date(Date.now() - s * 1000).toISOString();
const inS = (s) => new Date(Date.now() + s * 1000).toISOString();
export const mode = () => new URLSearchParams(location.search).get("demo") || "";

export const sampleMessages = (cid) => [
  { consultationId: cid, seq: 1, senderRole: "system", senderId: "", senderName: "", text: "林伟 律师 已接入", sentAt: ago(600), clientMessageId: null },
  { consultationId: cid, seq: 2, senderRole: "lawyer", senderId: "L1", senderName: "林伟 律师", text: "您好，我是工会律师林伟。您说老板欠了3个月工资，请问您和公司签过书面劳动合同吗？", sentAt: ago(590), clientMessageId: "a" },
  { consultationId: cid, seq: 3, senderRole: "worker", senderId: "W1", senderName: "", text: "没有签，就是老乡介绍来的，干了8个月。", sentAt: ago(560), clientMessageId: "b" },
  { consultationId: cid, seq: 4, senderRole: "lawyer", senderId: "L1", senderName: "林伟 律师", text: "没签书面合同，从第二个月起您可以主张二倍工资（《劳动合同法》第八十二条）。请先保存考勤、工资转账记录和工友的联系方式。", sentAt: ago(500), clientMessageId: "c" },
  { consultationId: cid, seq: 5, senderRole: "worker", senderId: "W1", senderName: "", text: "好的，我有微信转账记录。", sentAt: ago(420), clientMessageId: "d" },
];

export function workerDemo({ state, show, fillPickers, enterLive, renderStatus, toClosed }) {
  state.catalog = catalog;
  fillPickers();
  const m = mode();
  const base = { id: "C-demo", workerId: "W1", category: "unpaid_wages", dialect: "minnan", channel: "web",
    summary: "我在工地干了8个月，老板还欠我3个月工资，也没签合同。", priority: 0, createdAt: ago(900), lastSeq: 5 };
  const fakeHub = { invoke: () => new Promise(() => {}), connected: () => true };
  if (m === "queue") {
    state.hub = fakeHub;
    enterLive({ ...base, status: "queued", queuePosition: 3, estimatedWaitSeconds: 140 });
  } else if (m === "chat" || m === "closed") {
    state.hub = fakeHub;
    enterLive({ ...base, status: "active", assignedLawyerId: "L1", assignedLawyerName: "林伟 律师" });
    state.chat.merge(sampleMessages(base.id));
    state.chat.pending.set("p1", { clientMessageId: "p1", text: "那我现在要怎么去申请仲裁？", createdAt: ago(5), state: "sending" });
    state.chat.renderPending(state.chat.pending.get("p1"));
    state.chat.showTyping();
    clearTimeout(state.chat.typingTimer);
    renderStatus();
    if (m === "closed") { state.consultation.status = "closed"; toClosed(); }
    if (new URLSearchParams(location.search).has("banner")) { const b = $("#connection-banner"); b.hidden = false; b.textContent = "网络不稳定，正在重新连接…"; }
  } else {
    show("start");
  }
}

export { ago, inS };

export const cannedSample = [
  { id: "no-written-contract-double-wages", category: "labor_contract", title: "未签书面劳动合同的二倍工资", titleEn: "Double wages when there is no written contract",
    text: "用人单位应当自用工之日起一个月内与您订立书面劳动合同……", statute: "《劳动合同法》第十条、第十四条第三款、第八十二条第一款" },
  { id: "wage-arrears-claim", category: "unpaid_wages", title: "拖欠工资怎么办", titleEn: "What to do about unpaid wages",
    text: "用人单位应当按照劳动合同约定和国家规定，及时足额向您支付劳动报酬……", statute: "《劳动合同法》第三十条、第八十五条；《劳动争议调解仲裁法》第五十三条" },
  { id: "migrant-wages-construction", category: "unpaid_wages", title: "建筑工地农民工欠薪：总承包单位先行清偿", titleEn: "Construction-site wage arrears: the general contractor pays first",
    text: "农民工工资应当以货币形式……", statute: "《保障农民工工资支付条例》第十一条、第十二条、第三十条" },
  { id: "overtime-pay", category: "unpaid_wages", title: "加班费标准：150% / 200% / 300%", titleEn: "Overtime pay: 150 % / 200 % / 300 %",
    text: "安排延长工作时间的，支付不低于工资150%的报酬……", statute: "《劳动法》第四十一条、第四十四条" },
];

export function lawyerDemo({ S, showView, addOffer, ensureConv, select, renderCanned, fillTransferCategories, renderLoad }) {
  S.catalog = catalog;
  S.session = { userId: "L1", role: "lawyer", displayName: "林伟 律师", token: "demo" };
  S.me = { id: "L1", status: "available", capacity: 3 };
  S.hub = { invoke: () => new Promise(() => {}), connected: () => true };
  showView("console");
  $("#me-name").textContent = "林伟 律师";
  $("#status-dot").dataset.status = "available";
  fillTransferCategories();
  S.canned = cannedSample;
  addOffer({ consultationId: "C-101", category: "work_injury", dialect: "minnan", channel: "web", summary: "在厂里被机器压伤了手指，老板说不给报工伤，只给两千块私了。", waitedSeconds: 48, expiresAt: inS(17) });
  addOffer({ consultationId: "C-102", category: "labor_contract", dialect: "mandarin", channel: "phone", summary: "（电话）试用期被延长到8个月", waitedSeconds: 12, expiresAt: inS(9) });
  const base = { workerId: "W1", priority: 0, assignedLawyerId: "L1", assignedLawyerName: "林伟 律师", status: "active" };
  const c1 = ensureConv({ ...base, id: "C-demo", category: "unpaid_wages", dialect: "minnan", channel: "web", summary: "我在工地干了8个月，老板还欠我3个月工资，也没签合同。", createdAt: ago(900) });
  const c2 = ensureConv({ ...base, id: "C-088", category: "social_insurance", dialect: "fuzhou", channel: "wechat", summary: "公司让我签自愿放弃社保的承诺书", createdAt: ago(1500) });
  const c3 = ensureConv({ ...base, id: "C-077", category: "dismissal", dialect: "mandarin", channel: "app", summary: "怀孕后被公司辞退", createdAt: ago(2400), status: "closed" });
  c1.chat.merge(sampleMessages("C-demo").map((m) => ({ ...m })));
  c2.chat.merge([{ consultationId: "C-088", seq: 1, senderRole: "worker", senderId: "W2", senderName: "", text: "律师您好，公司让我签一份自愿放弃社保的承诺书，不签就不给上岗。", sentAt: ago(60), clientMessageId: "x" }]);
  c2.unread = 1;
  c3.chat.merge([{ consultationId: "C-077", seq: 1, senderRole: "worker", senderId: "W3", senderName: "", text: "谢谢律师，我明白了。", sentAt: ago(1200), clientMessageId: "y" }]);
  select("C-demo");
  const offerOnly = [...S.convs.values()];
  offerOnly.forEach((c) => c.tab && c.tab.dispatchEvent(new Event("render")));
  renderCanned();
  renderLoad();
  // show the typing indicator in the preview
  $("#typing").hidden = false;
}

export function adminDemo({ S, showView, setupCharts, onMetrics, renderRoster }) {
  S.catalog = catalog;
  S.session = { role: "admin", token: "demo" };
  showView("wall");
  setupCharts();
  const ids = catalog.categories.map((c) => c.id);
  let tick = 0;
  const snap = () => {
    tick++;
    const queues = ids.map((id, i) => {
      const waiting = Math.max(0, Math.round(3 + 3 * Math.sin((tick + i * 7) / 9) - i * 0.6));
      return { category: id, waiting, oldestWaitSeconds: waiting ? 20 + i * 17 + (tick % 30) : 0, averageWaitSeconds: 12 + i * 3,
        serviceLevel: 0.92 - i * 0.03, serviceLevel60: 0.98 - i * 0.015, answered: 40 - i * 4, abandoned: i % 3, averageHandleSeconds: 420 + i * 30, lawyersNeeded: Math.max(1, 4 - (i >> 1)) };
    });
    return { at: new Date().toISOString(), queues, lawyers: { online: 18, available: 6, busy: 9, away: 3, occupancy: 0.74, reserved: 1 },
      consultations: { queued: queues.reduce((s, q) => s + q.waiting, 0), offered: 2, active: 27, closedToday: 312 }, silos: 2 };
  };
  for (let i = 0; i < 120; i++) { const m = snap(); S.trend.push({ label: new Date(Date.now() - (120 - i) * 1000).toLocaleTimeString("zh-CN", { hour12: false }), waiting: m.queues.reduce((s, q) => s + q.waiting, 0), sl: 85 + 5 * Math.sin(i / 15) }); }
  onMetrics(snap());
  setInterval(() => onMetrics(snap()), 1000);
  renderRoster([
    { id: "L1", username: "lin.wei", displayName: "林伟 律师", skills: ["unpaid_wages", "labor_contract", "mediation_arbitration"], dialects: ["mandarin", "minnan"], capacity: 3, status: "available", activeCount: 2 },
    { id: "L2", username: "chen.min", displayName: "陈敏 律师", skills: ["dismissal", "labor_contract"], dialects: ["mandarin", "fuzhou"], capacity: 3, status: "available", activeCount: 3 },
    { id: "L3", username: "huang.jie", displayName: "黄杰 律师", skills: ["work_injury", "social_insurance"], dialects: ["mandarin", "hakka"], capacity: 2, status: "away", activeCount: 0 },
    { id: "L4", username: "zheng.li", displayName: "郑丽 律师", skills: ["occupational_safety", "work_injury"], dialects: ["mandarin", "puxian"], capacity: 3, status: "available", activeCount: 1 },
    { id: "L5", username: "wu.hao", displayName: "吴浩 律师", skills: ["other", "mediation_arbitration"], dialects: ["mandarin", "cantonese", "english"], capacity: 4, status: "offline", activeCount: 0 },
  ]);
}
