// Administration pages: the copy button for a token shown once. Everything else works without JS.
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  const status = button.parentElement.querySelector(".copied");
  if (!source) return;
  const text = source.textContent.trim();
  const done = (ok) => { if (status) status.textContent = ok ? "Đã chép vào bộ nhớ tạm." : "Không chép được; hãy chọn mã và chép tay."; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => done(true), () => done(false));
  } else {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    done(document.execCommand && document.execCommand("copy"));
  }
});
