/* The console's only script: small helpers for forms. Pages work without it. Plain ES5 for old office browsers. */
(function () {
  "use strict";

  function onSubmit(form) {
    var input = form.querySelector("input[type=file]");
    var max = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    if (input && max && input.files && input.files[0] && input.files[0].size > max) {
      alert("文件太大：不能超过 " + Math.round(max / 1024 / 1024) + " MB。");
      return false;
    }
    var button = form.querySelector("button[type=submit]");
    if (button) {  /* one click is one submission: a slow import is not sent twice */
      button.disabled = true;
      button.textContent = "正在处理，请稍候…";
    }
    return true;
  }

  document.addEventListener("submit", function (event) {
    if (!onSubmit(event.target)) {
      event.preventDefault();
    }
  });
}());
