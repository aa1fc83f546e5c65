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
