// Kiosk mode of the SIPAS survey: after a short idle time, go back to the first screen so the
// next person never sees the previous one's answers. Loaded only on kiosk pages; the survey
// itself works without it (a <noscript> refresh is the fallback).
(function () {
  "use strict";
  var body = document.body;
  var home = body.getAttribute("data-kiosk-home");
  var idle = parseInt(body.getAttribute("data-kiosk-idle") || "0", 10);
  if (!home || !idle) { return; }
  var timer = null;
  function reset() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(function () { window.location.replace(home); }, idle * 1000);
  }
  ["pointerdown", "keydown", "input", "scroll", "touchstart"].forEach(function (name) {
    window.addEventListener(name, reset, { passive: true });
  });
  // A page restored from the back-forward cache may hold someone else's answers: start over.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.replace(home); }
  });
  reset();
}());
