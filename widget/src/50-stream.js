// ---- live updates after a handoff: server-sent events read with fetch(), else polling ----
// Not EventSource: it cannot send headers, so the conversation's token would have to travel in the
// URL, and URLs are written to access logs. fetch() sends it in the Authorization header like every
// other call and reads the event stream itself. The server ends a stream every few minutes and a
// network may drop it: the widget then connects again, asking for what came after the last message
// it showed (?after=), as EventSource's Last-Event-ID would.

let stream = null; // {abort, retryMs} while a stream is open or being reconnected
let pollTimer = null;

function canStream() {
  return (
    typeof fetch === "function" &&
    typeof AbortController === "function" &&
    typeof TextDecoder === "function" &&
    typeof ReadableStream === "function"
  );
}

function startLive() {
  if (!conv || stream || pollTimer) return;
  if (!canStream()) return startPolling();
  const live = { abort: new AbortController(), retryMs: 3000 };
  stream = live;
  (async () => {
    let opened = false; // a stream that never opened (blocked, refused by CORS, no endpoint): poll
    while (stream === live && conv) {
      try {
        await readEvents(conv, live, () => (opened = true));
      } catch (error) {
        if (stream !== live) return; // stopped: the abort is why reading failed
        if (isLostConversation(error)) return forgetConversation();
        if (!opened) {
          stream = null;
          return startPolling();
        }
      }
      await new Promise((resolve) => setTimeout(resolve, live.retryMs));
    }
  })();
}

// One connection: resolves when the server ends the stream, rejects when it cannot be opened or breaks.
async function readEvents(current, live, onOpen) {
  const response = await fetch(`${API}/conversations/${current.id}/events?after=${current.cursor || 0}`, {
    headers: { Accept: "text/event-stream", Authorization: "Bearer " + current.token },
    credentials: "omit",
    mode: "cors",
    cache: "no-store",
    signal: live.abort.signal,
  });
  if (!response.ok) throw new ApiError(response.status, 5, "");
  if (!(response.headers.get("Content-Type") || "").startsWith("text/event-stream") || !response.body) {
    throw new Error("not an event stream");
  }
  onOpen();
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    // A CR LF split between two chunks joins up again here, before events are cut at blank lines.
    buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      handleEvent(buffer.slice(0, end), live);
      buffer = buffer.slice(end + 2);
    }
  }
}

// One event of the text/event-stream format: "data:" lines carry a message as JSON, "retry:" the
// reconnection delay; "id:" is not needed (each message has its id) and ": keep-alive" is a comment.
function handleEvent(block, live) {
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "data") data.push(value);
    else if (field === "retry" && /^\d+$/.test(value)) live.retryMs = Math.max(1000, parseInt(value, 10));
  }
  if (!data.length) return;
  try {
    renderLive(JSON.parse(data.join("\n")));
  } catch (error) {
    /* a malformed event is skipped; the next poll or event carries on */
  }
}

function startPolling() {
  if (pollTimer || !conv) return;
  const tick = async () => {
    if (!conv) return stopLive();
    try {
      const data = await request("GET", `/conversations/${conv.id}/messages?after=${conv.cursor || 0}`);
      for (const msg of listOf(data)) renderLive(msg);
    } catch (error) {
      if (isLostConversation(error)) return forgetConversation();
      /* transient: try again on the next tick, without filling the log with errors */
    }
    if (pollTimer) pollTimer = setTimeout(tick, POLL_MS);
  };
  pollTimer = setTimeout(tick, 0);
}

function stopLive() {
  if (stream) stream.abort.abort();
  stream = null;
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = null;
}
