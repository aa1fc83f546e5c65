// A chat transcript with at-least-once sending: messages are merged by seq (deduplicated),
// own messages show "sending…" until the server's MessageAck (durably stored) and "sent ✓" after.
// Unacked messages are kept (optionally in storage) and resent with the same clientMessageId.
// Early delivery: a Message event can arrive while its durable write still runs, so messages are reconciled by
// (seq, clientMessageId): a Message with a seq already shown under another clientMessageId replaces it, MessageWithdrawn
// removes it, and a (re)join drops what was shown above the joined view's lastSeq (never stored). An own message's
// event before its ack is held back: it stays "sending…" until the ack says it is stored.
import { el, t, fmtTime, uuid, errorCode, errorText, toast } from "./common.js";

const PERMANENT = new Set(["forbidden", "validation_failed", "not_found", "conflict"]);

export class Chat {
  /**
   * @param {object} o
   * @param {HTMLElement} o.list      container of bubbles
   * @param {HTMLElement} [o.typing]  typing indicator element
   * @param {string} o.consultationId
   * @param {(m)=>boolean} o.isMine   decides which side a message goes
   * @param {string} o.myRole         role of this page's user (worker | lawyer)
   * @param {string} [o.myId]         this user's id, if known
   * @param {Storage} [o.storage]     where unacked messages survive a reload
   * @param {(m)=>void} [o.onMessage] called for every new (not yet seen) message
   */
  constructor({ list, typing, consultationId, isMine, myRole, myId, storage, onMessage, showNames = false }) {
    Object.assign(this, { list, typing, consultationId, myRole, myId, storage, onMessage, showNames });
    this.isMine = (m) => m._local === true || isMine(m);
    this.messages = new Map(); // seq -> Message (m._node: its bubble; m._held: own, waiting for the ack; m._at: arrival)
    this.stored = 0; // every seq up to this one is known stored (acked, read on a join, or followed by a later message)
    this.arrivals = 0;
    this.joinMark = 0; // arrivals when the pending join was sent: only what came before it can be dropped by it
    this.pending = new Map(); // clientMessageId -> {clientMessageId, text, createdAt, state}
    this.flushing = false;
    this.typingTimer = undefined;
    this.loadPending();
  }

  get storageKey() { return `hotline.pending.${this.consultationId}`; }

  loadPending() {
    if (!this.storage) return;
    try {
      const arr = JSON.parse(this.storage.getItem(this.storageKey) || "[]");
      for (const p of arr) this.pending.set(p.clientMessageId, { ...p, state: "sending" });
    } catch { /* ignore */ }
    for (const p of this.pending.values()) this.renderPending(p);
  }

  savePending() {
    if (!this.storage) return;
    const arr = [...this.pending.values()].filter((p) => p.state !== "rejected").map(({ clientMessageId, text, createdAt }) => ({ clientMessageId, text, createdAt }));
    if (arr.length) this.storage.setItem(this.storageKey, JSON.stringify(arr));
    else this.storage.removeItem(this.storageKey);
  }

  /** Highest seq such that 1..seq are all here: the afterSeq to (re)join with. */
  get lastSeq() {
    let n = 0;
    while (this.messages.has(n + 1)) n++;
    return n;
  }

  get maxSeq() { return Math.max(0, ...this.messages.keys()); }

  /** The afterSeq to (re)join with: contiguous, and not past what is known stored. Marks the join (see joined). */
  rejoinSeq() {
    this.joinMark = this.arrivals;
    return Math.min(this.lastSeq, this.stored);
  }

  /** A JoinConsultation / AcceptOffer / Claim answer: merges its missed messages, drops what was never stored. */
  joined(r) {
    const added = this.merge(r?.missed, { stored: true });
    const lastSeq = r?.consultation?.lastSeq;
    if (typeof lastSeq === "number") {
      this.stored = Math.max(this.stored, lastSeq);
      // Shown above lastSeq before the join was sent: pushed early, then withdrawn while this page was away.
      for (const [seq, m] of [...this.messages]) if (seq > lastSeq && m._at <= this.joinMark) this.remove(seq);
    }
    this.joinMark = 0;
    return added;
  }

  /**
   * Merge messages (from JoinConsultation.missed, Message events or acks); returns the new ones.
   * stored: they come from storage (a join) or an ack, not from an event that may precede the write.
   */
  merge(msgs, { stored = false } = {}) {
    const added = [];
    for (const m of msgs || []) {
      if (!m || typeof m.seq !== "number") continue;
      // The server numbers a message only after the one before it was stored: an event for seq n confirms n - 1.
      this.stored = Math.max(this.stored, stored ? m.seq : m.seq - 1);
      const shown = this.messages.get(m.seq);
      if (shown && shown.clientMessageId === m.clientMessageId) {
        if (shown._held && stored) this.release(shown);
        continue;
      }
      if (shown) this.remove(m.seq); // another message took this seq: the shown one was withdrawn
      m._at = ++this.arrivals;
      this.messages.set(m.seq, m);
      if (!stored && m.clientMessageId && this.pending.has(m.clientMessageId)) { m._held = true; continue; }
      if (this.show(m)) added.push(m);
    }
    if (added.length) this.scroll();
    return added;
  }

  /** MessageWithdrawn: the message pushed early at this seq was not stored. */
  withdraw(w) {
    const shown = this.messages.get(w?.seq);
    if (!shown || shown.clientMessageId !== w.clientMessageId) return false;
    this.remove(w.seq);
    return true;
  }

  remove(seq) {
    this.messages.get(seq)?._node?.remove();
    this.messages.delete(seq);
  }

  /** An own message held until its ack: stored now, so it replaces its "sending…" bubble. */
  release(m) {
    delete m._held;
    if (this.show(m)) this.scroll();
  }

  show(m) {
    if (m.clientMessageId && this.pending.has(m.clientMessageId)) {
      this.pending.get(m.clientMessageId).node?.remove();
      this.pending.delete(m.clientMessageId);
      this.savePending();
    }
    m._node = this.renderMessage(m);
    this.insert(m._node, m.seq);
    if (m.senderRole && !this.isMine(m)) this.hideTyping();
    this.onMessage?.(m);
    return true;
  }

  insert(node, seq) {
    const after = [...this.list.children].find((c) => c.dataset.pending === "true" || (c.dataset.seq && Number(c.dataset.seq) > seq));
    this.list.insertBefore(node, after || null);
  }

  renderMessage(m) {
    const system = m.senderRole === "system";
    const mine = !system && this.isMine(m);
    const node = el(`div.msg.${system ? "system" : mine ? "mine" : "theirs"}`, {
      "data-testid": "message", "data-seq": m.seq, "data-mine": String(mine), "data-role": m.senderRole,
    });
    if (system) {
      node.append(el("div.bubble", {}, m.text));
      return node;
    }
    const bubble = el("div.bubble", {});
    if (!mine && (this.showNames || m.senderRole !== "worker") && m.senderName) bubble.append(el("span.who", {}, m.senderName));
    bubble.append(el("span.text", {}, m.text));
    node.append(bubble, el("div.meta", {}, el("time", { datetime: m.sentAt }, fmtTime(m.sentAt)),
      mine ? el("span.state.sent", { "data-testid": "message-state", "data-state": "sent" }, t("msg.sent")) : null));
    node._msg = m;
    return node;
  }

  renderPending(p) {
    p.node?.remove();
    const stateText = p.state === "rejected" ? p.error : p.state === "failed" ? t("msg.failed") : t("msg.sending");
    p.node = el("div.msg.mine.pending", { "data-testid": "message", "data-mine": "true", "data-pending": "true", "data-client-message-id": p.clientMessageId },
      el("div.bubble", {}, el("span.text", {}, p.text)),
      el("div.meta", {}, el("time", {}, fmtTime(p.createdAt)), el(`span.state.${p.state}`, { "data-testid": "message-state", "data-state": p.state }, stateText)));
    this.list.append(p.node);
    this.scroll();
  }

  /** Queue a new message and try to send it now. */
  send(text, invoke) {
    const p = { clientMessageId: uuid(), text, createdAt: new Date().toISOString(), state: "sending" };
    this.pending.set(p.clientMessageId, p);
    this.savePending();
    this.renderPending(p);
    return this.flush(invoke);
  }

  /** Send (or resend, same clientMessageId) every unacked message, in order. */
  async flush(invoke) {
    if (this.flushing) { this.flushAgain = true; return; }
    this.flushing = true;
    try {
      do {
        this.flushAgain = false;
        for (const p of [...this.pending.values()]) {
          if (p.state === "rejected" || !this.pending.has(p.clientMessageId)) continue;
          if (p.state === "failed") { p.state = "sending"; this.renderPending(p); }
          try {
            const ack = await invoke("SendMessage", this.consultationId, p.clientMessageId, p.text);
            this.ack(p, ack);
          } catch (e) {
            const code = errorCode(e);
            if (PERMANENT.has(code)) {
              p.state = "rejected"; p.error = errorText(e);
              this.pending.delete(p.clientMessageId); this.savePending();
              this.renderPending(p);
              toast(p.error, "error");
              continue;
            }
            p.state = "failed"; this.renderPending(p);
            return; // keep order: retry the rest after reconnect
          }
        }
      } while (this.flushAgain);
    } finally {
      this.flushing = false;
    }
  }

  ack(p, ack) {
    if (!this.pending.has(p.clientMessageId)) return; // the message was read from storage first
    p.node?.remove();
    this.pending.delete(p.clientMessageId);
    this.savePending();
    if (!ack || typeof ack.seq !== "number") return;
    this.stored = Math.max(this.stored, ack.seq);
    const shown = this.messages.get(ack.seq);
    if (shown && shown.clientMessageId === p.clientMessageId) {
      if (shown._held) this.release(shown);
      return;
    }
    this.merge([{ consultationId: this.consultationId, seq: ack.seq, senderRole: this.myRole, senderId: this.myId, senderName: "",
      text: p.text, sentAt: ack.sentAt || p.createdAt, clientMessageId: p.clientMessageId, _local: true }], { stored: true });
  }

  showTyping() {
    if (!this.typing) return;
    this.typing.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), 3500);
  }

  hideTyping() {
    if (!this.typing) return;
    clearTimeout(this.typingTimer);
    this.typing.hidden = true;
  }

  /** Re-render every bubble (after a language switch). */
  rerender() {
    this.list.replaceChildren();
    for (const seq of [...this.messages.keys()].sort((a, b) => a - b)) {
      const m = this.messages.get(seq);
      if (!m._held) this.list.append(m._node = this.renderMessage(m));
    }
    for (const p of this.pending.values()) this.renderPending(p);
  }

  scroll() {
    const box = this.list.closest("[data-scroll]") || this.list;
    requestAnimationFrame(() => { box.scrollTop = box.scrollHeight; });
  }
}

/** Calls send() at most every `ms` milliseconds while the user types. */
export function throttleTyping(send, ms = 2000) {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < ms) return;
    last = now;
    Promise.resolve().then(send).catch(() => { /* typing is best effort */ });
  };
}
