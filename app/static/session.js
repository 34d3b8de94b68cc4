// A page that outlived its session. When a save is refused for its CSRF token (the user logged
// out, or the session expired, and logged in again in another tab), the refusal is not swapped in:
// the row keeps what was typed. The page takes the current session's token from /session/csrf
// and sends the same save again once. Without a live session the alert asks to log in.
"use strict";
document.addEventListener("htmx:before:response", async (event) => {
  const ctx = event.detail.ctx;
  if (!ctx.response || ctx.response.status !== 403) return;
  if (ctx.response.headers.get("X-Partrack-Refusal") !== "csrf_failed") return;
  event.preventDefault();
  const source = ctx.sourceElement;
  if (source.dataset.csrfRetried === "1") return;
  const answer = await fetch("/session/csrf", { credentials: "same-origin", cache: "no-store" });
  const alert = document.querySelector("#session-alert");
  if (!answer.ok) {
    if (alert) {
      alert.textContent = "Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại ở một thẻ khác rồi bấm Lưu: nội dung đang nhập vẫn được giữ.";
    }
    return;
  }
  const token = (await answer.json()).csrf_token;
  document.body.setAttribute("hx-headers:inherited", JSON.stringify({ "X-CSRF-Token": token }));
  for (const field of document.querySelectorAll('input[name="csrf_token"]')) field.value = token;
  if (alert) alert.textContent = "";
  source.dataset.csrfRetried = "1";
  try {
    await htmx.trigger(source, ctx.sourceEvent ? ctx.sourceEvent.type : "submit");
  } finally {
    setTimeout(() => { delete source.dataset.csrfRetried; }, 5000);
  }
});
