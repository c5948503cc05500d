// Inbox: new handoffs appear without a reload (server-sent events, polling as the fallback), and a handoff
// whose visitor writes again moves to the top, marked. The page works without this script (reload to see them).
// Rows are built with textContent only: every value comes from visitors and must never become markup.
"use strict";

const POLL_MS = 5000;

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

// The page's words, in its language: the template hands them over (this file has no UI strings).
const WORDS = (document.getElementById("inbox-rows") || document.body).dataset;
const STATUSES = JSON.parse(WORDS.statuses || "{}");

function rowFor(handoff) {
  const tr = document.createElement("tr");
  const id = Number(handoff.id);
  tr.dataset.id = String(id);

  const who = document.createElement("td");
  const link = document.createElement("a");
  link.href = "/admin/inbox/" + id;  // built from the number, not from a string the server echoes
  link.textContent = handoff.email;
  who.append(link);
  if (handoff.name) {
    const small = document.createElement("small");
    small.textContent = handoff.name;
    who.append(document.createElement("br"), small);
  }

  const intent = cell(handoff.top_intent || "—");
  if (handoff.tags && handoff.tags.length) {
    const small = document.createElement("small");
    small.textContent = (WORDS.tagsLabel || "tags:") + " " + handoff.tags.join(", ");
    intent.append(document.createElement("br"), small);
  }

  const age = document.createElement("td");
  const time = document.createElement("time");
  time.dateTime = handoff.created_at;
  time.textContent = handoff.age;
  time.dataset.relative = ""; // admin.js gives it the local time as a tooltip
  age.append(time);
  if (handoff.outside_hours) {
    const small = document.createElement("small");
    small.textContent = WORDS.outsideHours || "outside hours";
    age.append(document.createElement("br"), small);
  }

  const status = document.createElement("td");
  const badge = document.createElement("span");
  badge.className = "status status-" + String(handoff.status).replace(/[^a-z]/g, "");
  badge.textContent = STATUSES[handoff.status] || handoff.status;
  status.append(badge);

  tr.append(who, cell(handoff.locale), intent, age, status, cell(handoff.assignee || "—"));
  tr.classList.add("new");
  return tr;
}

// A row for a handoff whose visitor wrote again since the page last looked.
function activeRowFor(handoff) {
  const tr = rowFor(handoff);
  const note = document.createElement("small");
  note.className = "activity";
  note.textContent = WORDS.visitorWrote || "new message from the visitor";
  tr.cells[0].append(document.createElement("br"), note);
  return tr;
}

function setupInbox(tbody) {
  const live = document.getElementById("inbox-live");
  const total = document.getElementById("inbox-total");
  const me = Number(tbody.dataset.me) || 0;
  let since = Number(tbody.dataset.since) || 0;
  let activeAfter = Number(tbody.dataset.activeAfter) || 0;

  // Alerts (alerts.js, opt-in): every new handoff, and a visitor writing again on the agent's own ticket.
  function alert(fresh, active) {
    if (typeof FaqdeskAlerts === "undefined") return;
    fresh.forEach((h) => {
      const about = h.top_intent ? " · " + h.top_intent : "";
      FaqdeskAlerts.notify(tbody.dataset.newHandoff || "New handoff", h.email + about, "/admin/inbox/" + Number(h.id), "faqdesk-handoff-" + Number(h.id));
    });
    active
      .filter((h) => me && Number(h.assignee_id) === me)
      .forEach((h) => {
        FaqdeskAlerts.notify(tbody.dataset.newMessage || "New message", h.email, "/admin/inbox/" + Number(h.id), "faqdesk-ticket-" + Number(h.id));
      });
  }

  function apply(data) {
    since = Math.max(since, Number(data.last_id) || 0);
    activeAfter = Math.max(activeAfter, Number(data.last_message_id) || 0);
    const fresh = (data.handoffs || []).filter((h) => !tbody.querySelector('tr[data-id="' + Number(h.id) + '"]'));
    const freshIds = new Set(fresh.map((h) => Number(h.id)));
    const active = (data.active || []).filter((h) => !freshIds.has(Number(h.id)));
    if (!fresh.length && !active.length) return;
    const empty = tbody.querySelector("tr.empty");
    if (empty) empty.remove();
    // Answers are newest first; inserting oldest first keeps that order at the top of the table.
    fresh.slice().reverse().forEach((h) => tbody.prepend(rowFor(h)));
    active.slice().reverse().forEach((h) => {
      const shown = tbody.querySelector('tr[data-id="' + Number(h.id) + '"]');
      if (shown) shown.remove(); // one row per handoff: it moves to the top
      tbody.prepend(activeRowFor(h));
    });
    if (total) total.textContent = String(Number(total.textContent) + fresh.length);
    if (live) {
      const said = [];
      const one = (words, email) => (words || "{email}").replace("{email}", email);
      const many = (words, n) => (words || "{n}").replace("{n}", String(n));
      if (fresh.length) said.push(fresh.length === 1 ? one(WORDS.saidHandoff, fresh[0].email) : many(WORDS.saidHandoffs, fresh.length));
      if (active.length) {
        said.push(active.length === 1 ? one(WORDS.saidMessage, active[0].email) : many(WORDS.saidMessages, active.length));
      }
      live.textContent = said.join(". ");
    }
    alert(fresh, active);
  }

  // Signed out: the next navigation shows the login page.
  const startPolling = pollLive(() => tbody.dataset.updates + "since=" + since + "&active_after=" + activeAfter, apply, {
    ms: POLL_MS,
    stopOn: [401],
  });

  // Server-sent events first, from the last event's id; live.js falls back to polling.
  const events = tbody.dataset.events;
  followLive(tbody, events ? events + "since=" + since + "&active_after=" + activeAfter : "", apply, startPolling);
}

document.addEventListener("DOMContentLoaded", () => {
  const tbody = document.querySelector("tbody[data-updates]");
  if (tbody) setupInbox(tbody);
});
