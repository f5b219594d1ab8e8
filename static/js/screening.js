// The pre-screener, made quicker with JavaScript. Every page works without it.
// - Questions that depend on an answer on the same step show or hide at once.
// - "Print this page" appears only where it can work, and printing unfolds the folded trials.
(function () {
  "use strict";

  var form = document.getElementById("screen-form");
  // With JavaScript, follow-up questions show and hide themselves: the "answer this only if" hints are not needed.
  document.documentElement.classList.add("js");

  function currentValue(name) {
    if (!form) return "";
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) return checked.value;
    var field = form.querySelector('input[name="' + name + '"]:not([type="radio"])');
    return field ? field.value : "";
  }

  function applyConditions() {
    if (!form) return;
    form.querySelectorAll("[data-show-if]").forEach(function (block) {
      var value = currentValue(block.getAttribute("data-show-if"));
      var allowed = (block.getAttribute("data-show-if-values") || "").split(" ");
      // Not answered yet counts as "we do not know": the question is asked.
      block.hidden = value !== "" && allowed.indexOf(value) === -1;
    });
  }

  if (form) {
    form.addEventListener("change", applyConditions);
    applyConditions();
  }

  // A printed result shows the folded trials too.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.not-fitting").forEach(function (details) {
      details.open = true;
    });
  });

  document.querySelectorAll(".js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
