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
    /* one click is one submission: a slow import is not sent twice. Disabled after the browser has read the form,
       so the button that was clicked (合格 or 需补充) still sends its value. */
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      for (var i = 0; i < buttons.length; i++) {
        buttons[i].disabled = true;
      }
      if (buttons.length === 1) { buttons[0].textContent = "正在处理，请稍候…"; }
    }, 0);
    return true;
  }

  document.addEventListener("submit", function (event) {
    if (!onSubmit(event.target)) {
      event.preventDefault();
    }
  });

  /* Keyboard for a long review queue. Grid: J / K choose a visit, Enter opens it. A visit: A 合格, R 需补充 (the
     comment first), N the next visit awaiting review. Keys typed into a field are the field's. */
  function typing(target) {
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function moveInGrid(grid, step) {
    var rows = grid.querySelectorAll("[data-row]");
    if (!rows.length) { return; }
    var current = grid.querySelector("[data-row].selected");
    var index = -1;
    for (var i = 0; i < rows.length; i++) { if (rows[i] === current) { index = i; } }
    var next = rows[Math.max(0, Math.min(rows.length - 1, index + step))];
    if (current) { current.className = current.className.replace(" selected", ""); }
    next.className += " selected";
    next.focus();
  }

  function onReviewKey(review, key) {
    var form = review.querySelector("form");
    var comment = form && form.querySelector("textarea");
    if (key === "a" && form) {
      form.querySelector("[data-key=a]").click();
    } else if (key === "r" && form) {
      if (comment && !comment.value.replace(/\s/g, "")) { comment.focus(); return; }
      form.querySelector("[data-key=r]").click();
    } else if (key === "n" && review.getAttribute("data-next")) {
      window.location.href = review.getAttribute("data-next");
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey) { return; }
    var key = (event.key || "").toLowerCase();
    if (typing(event.target)) { return; }
    var grid = document.querySelector("[data-keys=grid]");
    var review = document.querySelector("[data-keys=review]");
    if (grid && (key === "j" || key === "k")) {
      moveInGrid(grid, key === "j" ? 1 : -1);
      event.preventDefault();
    } else if (review && (key === "a" || key === "r" || key === "n")) {
      onReviewKey(review, key);
      event.preventDefault();
    }
  });
}());
