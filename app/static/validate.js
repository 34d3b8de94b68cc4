// Vietnamese messages for the browser's own form checks (required, email, min/max, length…).
//
// The browser would show its bubble in the language of its install (English on many office
// PCs). We catch each `invalid` event instead, stop the bubble, and write our message under the
// field in the same look as the server's field errors (`.field-error`, aria-invalid,
// aria-describedby). A field's `data-msg` overrides the message; `title` explains a pattern.
(function () {
  "use strict";

  function numberVi(text) {
    // 98.5 → 98,5 (the house style: a decimal comma); whole numbers as they are.
    return String(text).replace(".", ",");
  }

  function messageFor(field) {
    var v = field.validity;
    if (field.dataset && field.dataset.msg) return field.dataset.msg;
    if (v.valueMissing) {
      if (field.type === "checkbox") return "Hãy đánh dấu ô này nếu muốn tiếp tục.";
      if (field.type === "radio") return "Hãy chọn một trong các phương án.";
      if (field.tagName === "SELECT") return "Hãy chọn một mục trong danh sách.";
      if (field.type === "file") return "Hãy chọn tệp.";
      return "Hãy điền ô này.";
    }
    if (v.badInput) return "Hãy nhập một số (dùng dấu phẩy cho phần thập phân, ví dụ 98,5).";
    if (v.typeMismatch) {
      if (field.type === "email") return "Hãy nhập địa chỉ thư điện tử đúng dạng, ví dụ ten@phudinh.gov.vn.";
      if (field.type === "url") return "Hãy nhập địa chỉ web đầy đủ, bắt đầu bằng http:// hoặc https://.";
      return "Giá trị chưa đúng dạng.";
    }
    if (v.tooShort) {
      return "Cần ít nhất " + field.minLength + " ký tự (hiện có " + field.value.length + ").";
    }
    if (v.tooLong) return "Tối đa " + field.maxLength + " ký tự.";
    if (v.rangeUnderflow) return "Phải lớn hơn hoặc bằng " + numberVi(field.min) + ".";
    if (v.rangeOverflow) return "Phải nhỏ hơn hoặc bằng " + numberVi(field.max) + ".";
    if (v.stepMismatch) {
      var step = field.step || "1";
      return step === "1" ? "Phải là số nguyên." : "Phải là bội số của " + numberVi(step) + ".";
    }
    if (v.patternMismatch) return field.title || "Giá trị chưa đúng định dạng yêu cầu.";
    return "Giá trị chưa hợp lệ.";
  }

  function anchorOf(field) {
    // Radios and checkboxes sit inside their label or group: put the message after the group.
    if (field.type === "radio" || field.type === "checkbox") {
      return field.closest("fieldset") || field.closest("label") || field;
    }
    return field;
  }

  function messageId(field) {
    // A name repeats across the forms of one page (every workspace row has a "status"): the
    // form's id keeps each message next to its own field.
    var form = field.form && field.form.id ? field.form.id + "-" : "";
    var key = field.id || form + (field.name || "field");
    return "vmsg-" + key.replace(/[^A-Za-z0-9_-]/g, "-");
  }

  function show(field) {
    var id = messageId(field);
    var note = document.getElementById(id);
    if (!note) {
      note = document.createElement("p");
      note.id = id;
      note.className = "field-error client-error";
      note.setAttribute("role", "alert");
      anchorOf(field).insertAdjacentElement("afterend", note);
    }
    note.textContent = messageFor(field);
    field.setAttribute("aria-invalid", "true");
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(id) < 0) described.push(id);
    field.setAttribute("aria-describedby", described.join(" "));
  }

  function clear(field) {
    var id = messageId(field);
    var note = document.getElementById(id);
    if (!note) return;
    note.remove();
    var described = (field.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter(function (x) { return x && x !== id; });
    if (described.length) field.setAttribute("aria-describedby", described.join(" "));
    else field.removeAttribute("aria-describedby");
    field.removeAttribute("aria-invalid");
  }

  var focused = null;
  document.addEventListener(
    "invalid",
    function (event) {
      var field = event.target;
      event.preventDefault(); // no browser bubble, in whatever language
      show(field);
      if (!focused) {
        focused = field;
        field.focus();
        setTimeout(function () { focused = null; }, 0);
      }
    },
    true
  );

  function recheck(event) {
    var field = event.target;
    if (!field || !field.validity || !document.getElementById(messageId(field))) return;
    if (field.validity.valid) clear(field);
    else show(field);
  }
  document.addEventListener("input", recheck, true);
  document.addEventListener("change", recheck, true);
})();
