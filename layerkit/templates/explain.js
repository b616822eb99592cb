// The step control of layerkit's explain drawing: show the numbers of stages 0..current,
// highlight those of the current stage, and its panel of formulas. Scoped to one drawing,
// so that several can share a page (notebook outputs).
(function (root) {
  "use strict";
  if (!root) { return; }
  var stages = root.querySelectorAll(".lk-controls button[data-stage]").length;
  var hover = root.querySelector(".lk-hover");
  var initialHover = hover.textContent;

  function show(stage) {
    stage = Math.max(0, Math.min(stages - 1, stage));
    root.setAttribute("data-stage", String(stage));
    root.querySelectorAll(".lk-number").forEach(function (element) {
      var first = Number(element.getAttribute("data-first"));
      var last = Number(element.getAttribute("data-last"));
      element.classList.toggle("lk-shown", first <= stage && stage <= last);
      element.classList.toggle("lk-current", first === stage);
    });
    root.querySelectorAll("[data-stages]").forEach(function (element) {
      var list = element.getAttribute("data-stages").split(" ").map(Number);
      element.classList.toggle("lk-current", list.indexOf(stage) >= 0);
    });
    root.querySelectorAll(".lk-panel").forEach(function (panel) {
      panel.hidden = Number(panel.getAttribute("data-stage")) !== stage;
    });
    root.querySelectorAll(".lk-controls button[data-stage]").forEach(function (button) {
      var on = Number(button.getAttribute("data-stage")) === stage;
      button.classList.toggle("lk-active", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  root.querySelectorAll(".lk-controls button[data-stage]").forEach(function (button) {
    button.addEventListener("click", function () {
      show(Number(button.getAttribute("data-stage")));
    });
  });
  root.querySelector(".lk-previous").addEventListener("click", function () {
    show(Number(root.getAttribute("data-stage")) - 1);
  });
  root.querySelector(".lk-next").addEventListener("click", function () {
    show(Number(root.getAttribute("data-stage")) + 1);
  });
  root.querySelectorAll("[data-detail]").forEach(function (element) {
    element.addEventListener("mouseenter", function () {
      hover.textContent = element.getAttribute("data-detail");
    });
    element.addEventListener("mouseleave", function () {
      hover.textContent = initialHover;
    });
  });
  // A page may open at a stage: #stage=3 (used by the tests, handy for links).
  var match = /stage=(\d+)/.exec(window.location.hash);
  show(match ? Number(match[1]) : Number(root.getAttribute("data-stage")));
})(document.getElementById("LAYERKIT_ROOT_ID"));
