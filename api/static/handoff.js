// Ticket page: what happens while it is open shows up without a reload. New messages (the visitor
// writing again, a colleague's reply or note) are appended, and each reply's line about reaching the
// visitor (seen in the chat, emailed) is brought up to date. Server-sent events bring them; polling is
// the fallback. The page works without this script.
// The HTML comes from the server's own transcript template (autoescaped, like the page itself).
"use strict";

const TICKET_POLL_MS = 4000;

function setupTicket(list) {
  const live = document.getElementById("ticket-live");
  let after = Number(list.dataset.after) || 0;

  function apply(data) {
    if (data.html) {
      const fresh = document.createElement("template");
      fresh.innerHTML = data.html;
      // An id already on the page is skipped, so a late answer never shows a message twice.
      for (const item of Array.from(fresh.content.querySelectorAll("li.msg"))) {
        if (document.getElementById(item.id)) continue;
        item.classList.add("new");
        list.append(item);
      }
      const empty = list.querySelector("li.empty");
      if (empty && list.querySelector("li.msg")) empty.remove();
    }
    after = Math.max(after, Number(data.last_id) || 0);
    for (const [id, html] of Object.entries(data.replies || {})) {
      const line = list.querySelector('.reply-state[data-reply="' + Number(id) + '"]');
      const now = document.createElement("template");
      now.innerHTML = html;
      const state = now.content.firstElementChild;
      if (line && state && line.textContent !== state.textContent) line.replaceWith(state);
    }
    const count = Number(data.visitor_messages) || 0;
    if (!count) return;
    // The words come from the template, in the page's language (this file has no UI strings).
    if (live) live.textContent = count === 1 ? list.dataset.saidOne || "" : (list.dataset.saidMany || "{n}").replace("{n}", String(count));
    if (typeof FaqdeskAlerts !== "undefined") {
      const last = Array.from(list.querySelectorAll("li.msg-visitor")).pop();
      const text = last ? (last.querySelector("p:not(:first-child)") || last).textContent.trim() : "";
      FaqdeskAlerts.notify(list.dataset.newMessage || "New message", text.slice(0, 140), window.location.pathname, "faqdesk-ticket-" + list.dataset.ticket);
    }
  }

  // Signed out, or the ticket was deleted: a reload says which. Back in the tab, catch up at once.
  const startPolling = pollLive(() => list.dataset.updates + "?after=" + after, apply, {
    ms: TICKET_POLL_MS,
    stopOn: [401, 404],
    catchUp: true,
  });

  // Resumes after the last event's id (the last message shown); live.js falls back to polling.
  followLive(list, list.dataset.events ? list.dataset.events + "?after=" + after : "", apply, startPolling);
}

document.addEventListener("DOMContentLoaded", () => {
  const list = document.querySelector("ol#transcript[data-updates]");
  if (list) setupTicket(list);
});
