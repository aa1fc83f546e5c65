// Worker page: resume on another device. The live view shows a short code (POST /api/workers/me/resume-code) that
// the worker types on the other device's start view (POST /api/auth/resume), which then continues as the same
// anonymous worker. Codes expire, are used once, and the worker can revoke one.
import { $, addStrings, api, errorCode, errorText, getLang, t, toast } from "./common.js";

addStrings({
  "r.show": ["在其他设备上继续", "Continue on another device"],
  "r.codeText": ["在另一台设备打开本页，输入继续码：", "On the other device, open this page and enter the code:"],
  "r.until": ["有效至 {time}，只能使用一次。", "Valid until {time}, once."],
  "r.revoke": ["作废此码", "Revoke this code"],
  "r.revoked": ["继续码已作废。", "The code was revoked."],
  "r.have": ["在其他设备上开始过咨询？输入继续码", "Started on another device? Enter your code"],
  "r.redeem": ["继续", "Continue"],
  "r.codePh": ["例如 ABCD-EFGH", "e.g. ABCD-EFGH"],
  "r.bad": ["继续码无效或已过期", "The code is wrong or has expired"],
});

function showCode(r) {
  $("#resume-code").textContent = r.code;
  const until = new Date(r.expiresAt).toLocaleTimeString(getLang() === "en" ? "en-GB" : "zh-CN", { hour: "2-digit", minute: "2-digit" });
  $("#resume-until").textContent = t("r.until", { time: until });
  $("#resume-box").hidden = false;
}

/**
 * `call(path, opts)`: REST with the worker token. `adopt(auth)`: switch the page to another worker identity
 * ({workerId, token}) and look for its open consultation.
 */
export function setupResume(call, adopt) {
  $("#resume-show")?.addEventListener("click", async () => {
    try { showCode(await call("/api/workers/me/resume-code", { method: "POST" })); } catch (e) { toast(errorText(e), "error"); }
  });
  $("#resume-revoke")?.addEventListener("click", async () => {
    try {
      await call("/api/workers/me/resume-code", { method: "DELETE" });
      $("#resume-box").hidden = true;
      toast(t("r.revoked"));
    } catch (e) { toast(errorText(e), "error"); }
  });
  $("#resume-form")?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const error = $("#resume-error");
    error.hidden = true;
    try {
      const auth = await api("/api/auth/resume", { method: "POST", body: { code: $("#resume-input").value } });
      $("#resume-input").value = "";
      await adopt({ workerId: auth.workerId, token: auth.token });
    } catch (e) {
      error.hidden = false;
      const code = errorCode(e);
      error.textContent = code === "not_found" || code === "validation_failed" ? t("r.bad") : errorText(e);
    }
  });
}

/** The live view was left: hide a code shown for the previous consultation. */
export function hideResumeCode() {
  const box = $("#resume-box");
  if (box) box.hidden = true;
}
