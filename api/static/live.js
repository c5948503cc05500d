// The back office's live pages (the inbox, a ticket) follow the server with server-sent events:
// EventSource reconnects by itself and resumes after the last event's id. When a stream cannot be had
// (no EventSource, a proxy that refuses it, signed out), the page polls instead. The element's
// data-live says which ("events" or "polling"), for people and tests alike.
"use strict";

function followLive(element, url, apply, startPolling) {
  if (typeof EventSource === "undefined" || !url) {
    startPolling();
    return;
  }
  const source = new EventSource(url);
  source.addEventListener("open", () => {
    element.dataset.live = "events";
  });
  source.addEventListener("message", (event) => {
    try {
      apply(JSON.parse(event.data));
    } catch (error) {
      /* a malformed event: the next one carries the state again */
    }
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      element.dataset.live = "polling";
      startPolling();
    }
  });
}

// The fallback: while the page is visible, GET url() every `ms` and hand the JSON to apply. A status in
// `stopOn` ends it (signed out, or the thing watched was deleted: the next navigation says which); a
// failed fetch (offline) is tried again on the next tick. With `catchUp`, coming back to the tab polls
// at once. Returns startPolling for followLive.
function pollLive(url, apply, { ms, stopOn, catchUp = false }) {
  let busy = false;
  let timer = null;

  async function poll() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(url(), { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (stopOn.includes(response.status)) {
        clearInterval(timer);
        return;
      }
      if (!response.ok) return;
      apply(await response.json());
    } catch (error) {
      /* offline: try again on the next tick */
    } finally {
      busy = false;
    }
  }

  return function startPolling() {
    if (timer) return;
    timer = setInterval(poll, ms);
    if (catchUp) {
      document.addEventListener("visibilitychange", () => {
        if (!document.hidden) poll();
      });
    }
  };
}
