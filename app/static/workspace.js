// The unit workspace: nothing typed is ever lost, and a month takes few clicks.
// - Every row with unsaved changes is marked and kept as a draft in localStorage (per user, unit,
//   period and row) as the officer types; drafts come back after a crash, a closed tab or an
//   expired session, and are cleared once the row is saved. Leaving with unsaved rows asks first.
// - A save that cannot reach the server is queued and retried; the row says it is waiting.
// - An expired session is shown on the row being saved, with a login in a new tab: the session
//   cookie is shared, and the page takes the new CSRF token from /session/csrf and saves again.
// - A conflict (someone else saved the row) shows both versions; keep mine / take theirs / merge.
// - "Chép từ kỳ trước" fills a row (or every empty row) from last period, marked as carried until
//   saved; "Lưu tất cả" sends every changed row in one request and swaps each row's answer in.
"use strict";
(() => {
  const ws = document.getElementById("workspace");
  if (!ws) return;
  const { user, unit, period, base } = ws.dataset;
  const editable = ws.dataset.editable === "1";
  const SKIP = new Set(["csrf_token", "version", "domain"]);
  const TEXTS = new Set(["result", "difficulties", "proposals", "evidence", "note"]);
  const waiting = new Set(); // rows queued for the network or for a new session
  let sessionPoll = null;
  let retryTimer = null;

  const rows = () => Array.from(document.querySelectorAll("form.row-form"));
  const draftKey = (form) => `partrack:draft:${user}:${unit}:${period}:${form.id}`;
  const token = () => (document.querySelector('input[name="csrf_token"]') || {}).value || "";

  function fields(form) {
    const out = {};
    for (const el of form.elements) {
      if (el.name && !SKIP.has(el.name)) out[el.name] = el.value;
    }
    return out;
  }
  // What the server rendered, whatever was typed before this script ran.
  function served(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || SKIP.has(el.name)) continue;
      if (el.tagName === "SELECT") {
        const chosen = Array.from(el.options).find((o) => o.defaultSelected) || el.options[0];
        out[el.name] = chosen ? chosen.value : "";
      } else {
        out[el.name] = el.defaultValue;
      }
    }
    return out;
  }
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  function setState(form, text, kind) {
    const box = form.querySelector(".row-state");
    if (!box) return;
    box.textContent = text;
    box.dataset.kind = kind || "";
  }

  function fill(form, values) {
    for (const [name, value] of Object.entries(values)) {
      const el = form.elements.namedItem(name);
      if (el && !SKIP.has(name)) el.value = value;
    }
  }

  function remember(form) {
    const now = fields(form);
    const dirty = !same(now, form._initial);
    form.classList.toggle("dirty", dirty);
    if (!dirty) form.classList.remove("carried");
    try {
      if (dirty) {
        const version = form.elements.namedItem("version").value;
        const carried = form.classList.contains("carried");
        localStorage.setItem(draftKey(form), JSON.stringify({ fields: now, version, carried }));
      } else {
        localStorage.removeItem(draftKey(form));
      }
    } catch (e) { /* storage full or disabled: the row is still marked */ }
    if (dirty && !form.classList.contains("queued") && !form.classList.contains("carried")) {
      setState(form, "Chưa lưu", "dirty");
    } else if (!dirty) {
      setState(form, "", "");
    }
    updateBar();
  }

  function settle(form) {
    form._initial = fields(form);
    try { localStorage.removeItem(draftKey(form)); } catch (e) { /* ignore */ }
  }

  function prepare(form, { restore }) {
    form._initial = served(form);
    const carry = form.querySelector("button.carry");
    if (carry && editable) carry.hidden = false;
    if (!restore) return;
    let draft = null;
    try { draft = JSON.parse(localStorage.getItem(draftKey(form)) || "null"); } catch (e) { draft = null; }
    if (!draft || same(draft.fields, form._initial)) {
      if (!same(fields(form), form._initial)) remember(form); // typed before this script ran
      return;
    }
    fill(form, draft.fields);
    form.elements.namedItem("version").value = draft.version;
    if (draft.carried) form.classList.add("carried");
    remember(form);
    setState(form, "Đã khôi phục nội dung chưa lưu của lần trước – bấm Lưu để lưu", "dirty");
  }

  function updateBar() {
    const button = document.getElementById("save-all");
    if (!button) return;
    const n = rows().filter((f) => f.classList.contains("dirty")).length;
    button.hidden = false;
    button.disabled = n === 0;
    button.textContent = n ? `Lưu tất cả (${n} dòng)` : "Lưu tất cả";
  }

  // A conflict whose other version is exactly what this row holds.
  function echoed(form) {
    const panel = form.querySelector(".conflict-panel");
    if (!panel) return false;
    const theirs = JSON.parse(panel.dataset.theirs || "{}");
    const mine = fields(form);
    return Object.keys(theirs).length > 0 &&
      Object.entries(theirs).every(([name, value]) => (mine[name] ?? "") === String(value ?? ""));
  }

  // --- swapping the server's answer in ------------------------------------------------------
  function swapIn(html, { focusName } = {}) {
    const holder = document.createElement("template");
    holder.innerHTML = html;
    const swapped = [];
    for (const el of Array.from(holder.content.children)) {
      const old = el.id && document.getElementById(el.id);
      if (!old) continue;
      el.removeAttribute("hx-swap-oob");
      old.replaceWith(el);
      if (el.matches("form.row-form")) swapped.push(el);
    }
    for (const form of swapped) {
      const failed = form.classList.contains("has-error");
      prepare(form, { restore: false });
      if (failed && echoed(form)) {
        // A save that reached the server but whose answer was lost, sent again: "someone else"
        // is this very text. Nothing to choose; the row is saved.
        const panel = form.querySelector(".conflict-panel");
        form.elements.namedItem("version").value = panel.dataset.version;
        panel.remove();
        form.querySelectorAll(".row-error").forEach((el) => el.remove());
        form.classList.remove("has-error", "in-conflict", "dirty", "carried", "queued");
        settle(form);
        setState(form, "Đã lưu", "");
      } else if (failed) {
        form._initial = {}; // still unsaved: keep it marked and drafted
        remember(form);
        setState(form, "Chưa lưu được – xem lý do ở trên", "error");
      } else {
        settle(form);
        form.classList.remove("dirty", "carried", "queued");
      }
      waiting.delete(form.id);
    }
    applyFilter();
    updateBar();
    if (focusName && swapped.length === 1) {
      const target = swapped[0].elements.namedItem(focusName) || swapped[0].querySelector("button.save");
      if (target && target.focus) target.focus({ preventScroll: true });
    }
    return swapped;
  }

  // --- saving ---------------------------------------------------------------------------------
  async function post(url, body, headers) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRF-Token": token(), ...headers },
      body,
    });
  }

  async function renewToken() {
    try {
      const answer = await fetch("/session/csrf", { credentials: "same-origin", cache: "no-store" });
      if (!answer.ok) return false;
      const fresh = (await answer.json()).csrf_token;
      for (const field of document.querySelectorAll('input[name="csrf_token"]')) field.value = fresh;
      document.body.setAttribute("hx-headers:inherited", JSON.stringify({ "X-CSRF-Token": fresh }));
      return true;
    } catch (e) {
      return false;
    }
  }

  // A refusal that says "try again in a moment" (Retry-After): the database was briefly out of
  // reach (503), busy (503) or the save lost a race with another writer (409 write_race).
  // Nothing was written; the row waits and is sent again like a row saved offline. Its answer is
  // the error page, which has no row to swap in: without this the row said "Đang lưu…" forever.
  const BUSY = "Máy chủ đang bận – dòng được giữ lại và sẽ tự lưu lại sau ít giây…";

  function transient(answer) {
    return answer.status >= 400 && answer.headers.has("Retry-After");
  }

  function queue(form, why) {
    form.classList.add("queued");
    waiting.add(form.id);
    setState(form, why, "waiting");
    if (!retryTimer) retryTimer = setInterval(retryWaiting, 4000);
  }

  function needLogin(form) {
    const box = form.querySelector(".row-state");
    waiting.add(form.id);
    form.classList.add("queued");
    if (box) {
      const next = encodeURIComponent(location.pathname);
      box.dataset.kind = "session";
      box.innerHTML = "";
      box.append("Phiên đăng nhập đã hết hạn; nội dung bạn nhập vẫn được giữ. ");
      const link = document.createElement("a");
      link.href = `/login?next=${next}`;
      link.target = "_blank";
      link.rel = "opener";
      link.className = "relogin";
      link.textContent = "Đăng nhập lại (thẻ mới)";
      box.append(link, " – dòng này sẽ tự lưu khi bạn đăng nhập xong.");
    }
    if (!sessionPoll) {
      sessionPoll = setInterval(async () => {
        if (await renewToken()) {
          clearInterval(sessionPoll);
          sessionPoll = null;
          retryWaiting();
        }
      }, 2000);
    }
  }

  async function saveRow(form, retried = false) {
    const focusName = document.activeElement && form.contains(document.activeElement)
      ? document.activeElement.name : "";
    const body = new URLSearchParams(new FormData(form));
    body.set("csrf_token", token());
    setState(form, "Đang lưu…", "saving");
    let answer;
    try {
      answer = await post(form.action, body, {});
    } catch (e) {
      queue(form, "Mất kết nối – đang chờ mạng để tự lưu lại…");
      return;
    }
    if (answer.status === 403 && answer.headers.get("X-Partrack-Refusal") === "csrf_failed") {
      if (!retried && (await renewToken())) return saveRow(form, true);
      needLogin(form);
      return;
    }
    if (answer.status === 401) {
      needLogin(form);
      return;
    }
    if (transient(answer)) {
      queue(form, BUSY);
      return;
    }
    form.classList.remove("queued");
    swapIn(await answer.text(), { focusName: focusName || "status" });
  }

  async function retryWaiting() {
    const pending = Array.from(waiting).map((id) => document.getElementById(id)).filter(Boolean);
    if (!pending.length) {
      clearInterval(retryTimer);
      retryTimer = null;
      return;
    }
    if (!navigator.onLine) return;
    for (const form of pending) {
      waiting.delete(form.id);
      await saveRow(form);
    }
  }

  async function saveAll() {
    const dirty = rows().filter((f) => f.classList.contains("dirty"));
    if (!dirty.length) return;
    const payload = { tasks: [], readings: [] };
    for (const form of dirty) {
      const item = { ...fields(form), version: form.elements.namedItem("version").value };
      if (form.dataset.kind === "task") payload.tasks.push({ code: form.dataset.key, ...item });
      else {
        const domain = form.elements.namedItem("domain");
        payload.readings.push({ indicator: form.dataset.key, domain: domain ? domain.value : "", ...item });
      }
      setState(form, "Đang lưu…", "saving");
    }
    const status = document.getElementById("ws-bar-status");
    let answer;
    try {
      answer = await post(`${base}/save-all`, JSON.stringify(payload), { "Content-Type": "application/json" });
      if (answer.status === 403 && answer.headers.get("X-Partrack-Refusal") === "csrf_failed" && (await renewToken())) {
        answer = await post(`${base}/save-all`, JSON.stringify(payload), { "Content-Type": "application/json" });
      }
    } catch (e) {
      dirty.forEach((form) => queue(form, "Mất kết nối – đang chờ mạng để tự lưu lại…"));
      if (status) status.textContent = "Mất kết nối: các dòng chưa lưu được giữ lại và sẽ tự lưu khi có mạng.";
      return;
    }
    if (answer.status === 401 || answer.status === 403) {
      dirty.forEach(needLogin);
      if (status) status.textContent = "Phiên đăng nhập đã hết hạn: hãy đăng nhập lại, các dòng sẽ tự lưu.";
      return;
    }
    if (transient(answer)) {
      // Each row has its own transaction: rows written before the refusal are sent again too
      // and recognised as this very text (the echo check in swapIn), not as a conflict.
      dirty.forEach((form) => queue(form, BUSY));
      if (status) status.textContent = "Máy chủ đang bận: các dòng chưa lưu được giữ lại và sẽ tự lưu lại sau ít giây.";
      return;
    }
    const saved = Number(answer.headers.get("X-Partrack-Saved") || 0);
    const failed = Number(answer.headers.get("X-Partrack-Failed") || 0);
    swapIn(await answer.text());
    if (status) {
      status.textContent = failed
        ? `Đã lưu ${saved} dòng; ${failed} dòng chưa lưu được, lý do ghi ngay tại dòng đó.`
        : `Đã lưu ${saved} dòng.`;
    }
    const firstBad = document.querySelector("form.row-form.has-error");
    if (firstBad) firstBad.querySelector("[aria-invalid=true], .row-error, button.save")?.focus();
  }

  // --- carry forward, conflicts, filter ------------------------------------------------------
  function carry(form) {
    const values = JSON.parse(form.dataset.carry || "{}");
    fill(form, values);
    form.classList.add("carried");
    remember(form);
    setState(form, "Chép từ kỳ trước – chưa xác nhận; bấm Lưu để xác nhận", "carried");
  }

  function resolve(button) {
    const form = button.closest("form.row-form");
    const panel = button.closest(".conflict-panel");
    const theirs = JSON.parse(panel.dataset.theirs);
    const mine = fields(form);
    form.elements.namedItem("version").value = panel.dataset.version;
    panel.remove();
    form.classList.remove("has-error", "in-conflict");
    const choice = button.dataset.resolve;
    if (choice === "mine") return saveRow(form);
    if (choice === "theirs") {
      fill(form, theirs);
      form._initial = fields(form);
      remember(form);
      setState(form, "Đã lấy bản của người khác", "");
      return;
    }
    let first = null;
    for (const [name, other] of Object.entries(theirs)) {
      const el = form.elements.namedItem(name);
      if (!el) continue;
      const own = mine[name] || "";
      if (TEXTS.has(name) && other && own && other !== own && !own.includes(other)) {
        el.value = `${other}\n${own}`;
        first = first || el;
      } else if (!own) {
        el.value = other;
      }
    }
    remember(form);
    setState(form, "Đã gộp hai bản – xem lại rồi bấm Lưu", "dirty");
    (first || form.querySelector("button.save")).focus();
  }

  function applyFilter() {
    const only = document.getElementById("only-empty");
    ws.classList.toggle("only-empty", Boolean(only && only.checked));
  }

  // --- wiring ----------------------------------------------------------------------------------
  document.addEventListener("input", (event) => {
    const form = event.target.closest && event.target.closest("form.row-form");
    if (form) remember(form);
  });
  document.addEventListener("change", (event) => {
    if (event.target.id === "only-empty") return applyFilter();
    const form = event.target.closest && event.target.closest("form.row-form");
    if (form) remember(form);
  });
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches || !form.matches("form.row-form")) return;
    event.preventDefault();
    saveRow(form);
  });
  document.addEventListener("click", (event) => {
    const target = event.target.closest && event.target.closest("button");
    if (!target) return;
    if (target.id === "save-all") saveAll();
    else if (target.id === "carry-all") {
      const empty = rows().filter((f) => f.dataset.carry && f.dataset.empty === "1" && !f.classList.contains("dirty"));
      empty.forEach(carry);
      const status = document.getElementById("ws-bar-status");
      if (status) {
        status.textContent = `Đã chép ${empty.length} dòng từ kỳ trước. Các dòng này chưa tính là đã báo cáo cho đến khi bạn lưu (Lưu tất cả).`;
      }
    } else if (target.classList.contains("carry")) carry(target.closest("form.row-form"));
    else if (target.dataset.resolve) resolve(target);
  });
  window.addEventListener("online", retryWaiting);
  window.addEventListener("focus", () => { if (waiting.size) renewToken().then((ok) => ok && retryWaiting()); });
  window.addEventListener("beforeunload", (event) => {
    if (rows().some((f) => f.classList.contains("dirty") || f.classList.contains("queued"))) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  for (const form of rows()) prepare(form, { restore: editable });
  const carryAll = document.getElementById("carry-all");
  if (carryAll) carryAll.hidden = false;
  updateBar();
  applyFilter();
})();
