// Back office enhancements; every form works without them.
"use strict";

// Live preview: the server renders and sanitises with the same code as the public pages.
function setupPreview(textarea) {
  const target = document.getElementById(textarea.dataset.preview);
  const form = textarea.form;
  const token = form.querySelector("input[name=csrf_token]").value;
  let timer = null;
  let sent = 0;
  textarea.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const body = new FormData();
      body.append("csrf_token", token);
      body.append("body", textarea.value);
      const ticket = ++sent;
      try {
        const response = await fetch("/admin/preview", { method: "POST", body, credentials: "same-origin" });
        if (!response.ok || ticket !== sent) return;  // a newer preview is on its way
        target.innerHTML = await response.text();  // sanitised by the server (nh3)
      } catch (error) {
        /* offline: keep the last preview */
      }
    }, 250);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("textarea[data-preview]").forEach(setupPreview);
  // Scheduled times are typed in the editor's local time; the server needs the offset to store UTC.
  document.querySelectorAll("input[data-tz-offset]").forEach((input) => {
    input.value = String(new Date().getTimezoneOffset());
  });
});
