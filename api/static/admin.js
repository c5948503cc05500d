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

// Times: the server writes each moment as <time datetime="ISO-UTC">… UTC</time>; this shows it in the
// reader's time zone and the page's language. A relative one ("4 min", data-relative) keeps its text and
// gets the moment as its tooltip. Times added later (live updates) are formatted as they arrive.
const TIME_PARTS = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" };

function timeFormat(seconds) {
  const parts = seconds ? { ...TIME_PARTS, second: "2-digit" } : TIME_PARTS;
  try {
    return new Intl.DateTimeFormat(document.documentElement.lang || undefined, parts);
  } catch (error) {
    return new Intl.DateTimeFormat(undefined, parts); // a page language the browser does not know
  }
}

function localTimes(root) {
  const formats = {};
  const found = root.matches && root.matches("time[datetime]") ? [root] : Array.from(root.querySelectorAll("time[datetime]"));
  for (const time of found) {
    const value = time.getAttribute("datetime") || "";
    if (time.dataset.local || !value.includes("T")) continue; // done already, or a day without a time
    const moment = new Date(value);
    if (Number.isNaN(moment.getTime())) continue;
    const seconds = time.dataset.seconds !== undefined;
    const format = formats[seconds] || (formats[seconds] = timeFormat(seconds));
    time.dataset.local = "1";
    if (time.dataset.relative !== undefined) {
      time.title = format.format(moment);
    } else {
      time.title = time.textContent.trim(); // the UTC time stays at hand
      time.textContent = format.format(moment);
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  localTimes(document);
  new MutationObserver((changes) => {
    for (const change of changes) {
      change.addedNodes.forEach((node) => {
        if (node.nodeType === Node.ELEMENT_NODE) localTimes(node);
      });
    }
  }).observe(document.body, { childList: true, subtree: true });
  document.querySelectorAll("textarea[data-preview]").forEach(setupPreview);
  // Scheduled times are typed in the editor's local time; the server needs the offset to store UTC.
  document.querySelectorAll("input[data-tz-offset]").forEach((input) => {
    input.value = String(new Date().getTimezoneOffset());
  });
});
