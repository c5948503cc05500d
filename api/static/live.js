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
