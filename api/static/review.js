// The answer-review queue: one key per label. A key press clicks the control marked with
// data-key, so the page works the same without JavaScript (buttons and a link).
(function () {
  "use strict";
  // Once a label is on its way, further keys and clicks wait for the next page: a second one ("n n",
  // "o" then "n") would post again for the same turn, or skip past it.
  var sending = false;
  document.addEventListener("submit", function (event) {
    if (event.target.method !== "post") return; // the locale filter
    if (sending) event.preventDefault();
    sending = true;
  });
  document.addEventListener("click", function (event) {
    if (sending && event.target.closest && event.target.closest("main [data-key], main form[method=post] button")) {
      event.preventDefault();
    }
  });
  // Back to this page from the next one (back/forward cache): it may send again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) sending = false;
  });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat || sending) return;
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
