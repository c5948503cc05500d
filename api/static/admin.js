// Back office enhancements; every form works without them.
"use strict";

// Live preview: the server renders and sanitises with the same code as the public pages.
// When the session has ended the server answers with a redirect to the sign-in page: that is not
// followed (the login form would land inside the editor's form and its fields be sent with it); the
// preview says so instead, in the page's language (data-signed-out and data-sign-in on the preview).
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
        const response = await fetch("/admin/preview", { method: "POST", body, credentials: "same-origin", redirect: "manual" });
        if (ticket !== sent) return; // a newer preview is on its way
        if (response.type === "opaqueredirect" || response.status === 401) {
          signedOut(target);
          return;
        }
        if (!response.ok || response.redirected) return;
        target.innerHTML = await response.text(); // sanitised by the server (nh3)
      } catch (error) {
        /* offline: keep the last preview */
      }
    }, 250);
  });
}

// The text stays in the form: signing in again in another tab lets the next preview (and the save) work.
function signedOut(target) {
  target.replaceChildren(signedOutNote(target.dataset.signedOut || "You are signed out."));
}

function signedOutNote(text) {
  const note = document.createElement("p");
  note.className = "error";
  note.setAttribute("role", "alert"); // said once; neither the preview nor the form is a live region
  note.append(text + " ");
  const link = document.createElement("a");
  link.href = "/admin/login";
  link.target = "_blank"; // leaving this page would lose the text
  link.rel = "noopener";
  link.textContent = document.body.dataset.signIn || "Sign in";
  note.append(link);
  return note;
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

// Scheduled times are typed in the editor's local time; the server needs the offset to store UTC. The
// offset is that of the chosen moment, not of today: across a daylight-saving change they differ by an hour.
function setupTimeZoneOffset(input) {
  input.value = String(new Date().getTimezoneOffset());
  const form = input.form;
  const local = form.querySelector("input[type=datetime-local]");
  form.addEventListener("submit", () => {
    const moment = new Date(local ? local.value : ""); // "YYYY-MM-DDTHH:MM" without a zone is local time
    input.value = String((Number.isNaN(moment.getTime()) ? new Date() : moment).getTimezoneOffset());
  });
}

// Unsaved changes: leaving a page whose editor form (data-dirty-warning) was changed and not submitted
// asks first. data-dirty-warning="unsaved" marks a form shown again with text not saved yet (an edit
// conflict, a refused save). Only such pages get the listener: it keeps a page out of the back/forward cache.
//
// Saving asks the server first (/admin/session): a save sent after the session ended would come back as
// the sign-in page and the text would be gone, and a form token older than the cookie's would be refused.
// Signed in, the form takes the current token and is sent; signed out, it stays as it is with a note and a
// link that signs in in a new tab. Offline or on a server error it is sent as it would be without this script.
const dirtyForms = new Set();
let warnsOnLeaving = false;

function setupDirtyWarning(form) {
  if (form.dataset.dirtyWarning === "unsaved") dirtyForms.add(form);
  const changed = () => dirtyForms.add(form);
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  let checked = false;
  let asking = false; // a second click while the server is asked sends nothing more
  form.addEventListener("submit", async (event) => {
    if (checked) {
      dirtyForms.delete(form);
      return;
    }
    event.preventDefault();
    if (asking) return;
    asking = true;
    const submitter = event.submitter;
    const signedIn = await stillSignedIn(form);
    asking = false;
    if (signedIn) {
      checked = true; // requestSubmit dispatches the submit event at once, so this covers that one only
      form.requestSubmit(submitter && submitter.form === form ? submitter : null);
      checked = false;
    }
  });
  if (!warnsOnLeaving) {
    warnsOnLeaving = true;
    window.addEventListener("beforeunload", (event) => {
      if (dirtyForms.size === 0) return;
      event.preventDefault();
      event.returnValue = ""; // older browsers show the dialog only when this is set
    });
  }
}

async function stillSignedIn(form) {
  const old = form.querySelector(":scope > p.signed-out");
  if (old) old.remove();
  let response;
  try {
    response = await fetch("/admin/session", { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" });
  } catch (error) {
    return true;
  }
  if (response.status === 401) {
    const note = signedOutNote(document.body.dataset.signedOutSave || "You were signed out, so nothing was saved.");
    note.classList.add("signed-out");
    form.prepend(note);
    note.scrollIntoView({ block: "nearest" });
    return false;
  }
  const field = form.querySelector("input[name=csrf_token]");
  if (response.ok && field) {
    const data = await response.json().catch(() => ({}));
    if (data.csrf_token) field.value = data.csrf_token;
  }
  return true;
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
  document.querySelectorAll("input[data-tz-offset]").forEach(setupTimeZoneOffset);
  document.querySelectorAll("form[data-dirty-warning]").forEach(setupDirtyWarning);
});
