// The upload page: send the file with a progress bar, then show the import summary in place.
// fetch() (and so htmx 4) cannot report upload progress, so this uses XMLHttpRequest; without
// JavaScript the form still posts and the server answers with the whole page.
(function () {
  "use strict";

  function csrfToken(form) {
    var field = form.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function start(form) {
    var bar = document.getElementById("import-progress");
    var text = document.getElementById("import-progress-text");
    var target = document.getElementById("import-result");
    var button = form.querySelector('button[type="submit"]');
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    xhr.setRequestHeader("HX-Request-Type", "partial");
    xhr.setRequestHeader("X-CSRF-Token", csrfToken(form));
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    text.textContent = "Đang gửi tệp…";
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) { return; }
      var percent = Math.round((event.loaded / event.total) * 100);
      bar.value = percent;
      bar.textContent = percent + "%";
      text.textContent = "Đã gửi " + percent + "%";
    });
    xhr.upload.addEventListener("load", function () {
      bar.value = 100;
      text.textContent = "Đã gửi xong, đang kiểm tra và ghi dữ liệu…";
    });
    xhr.addEventListener("load", function () {
      target.innerHTML = xhr.responseText;
      text.textContent = xhr.status === 200 ? "Hoàn tất." : "Có lỗi: xem chi tiết bên dưới.";
      button.disabled = false;
      target.scrollIntoView({ behavior: "smooth", block: "start" });
    });
    xhr.addEventListener("error", function () {
      text.textContent = "Không gửi được tệp: kiểm tra kết nối mạng rồi thử lại.";
      button.disabled = false;
    });
    xhr.send(new FormData(form));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("import-form");
    if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      start(form);
    });
  });
})();
