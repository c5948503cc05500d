// The answer-review queue: one key per label. A key press clicks the control marked with
// data-key, so the page works the same without JavaScript (buttons and a link).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || (target && target.isContentEditable)) return;
    var key = event.key.toLowerCase();
    if (!/^[a-z0-9]$/.test(key)) return;
    var control = document.querySelector('[data-key="' + key + '"]');
    if (!control) return;
    event.preventDefault();
    control.click();
  });
})();
