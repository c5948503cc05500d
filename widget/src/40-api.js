// ---- talking to the API ----

class ApiError extends Error {
  constructor(status, retryAfter, code, fields) {
    super("HTTP " + status);
    this.status = status;
    this.retryAfter = retryAfter;
    this.code = code || "";
    this.fields = fields || {}; // a message per field, in the visitor's language (a form shows each beside it)
  }
}

async function request(method, path, body, token) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const bearer = token || (conv && conv.token);
  if (bearer) headers.Authorization = "Bearer " + bearer;
  // No cookies: the bearer token is the only credential, so CORS needs no credentials mode.
  const response = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    mode: "cors",
  });
  if (!response.ok) {
    const retryAfter = parseInt(response.headers.get("Retry-After") || "", 10);
    let code = "";
    let fields = {};
    try {
      const problem = await response.json();
      code = String(problem.error || "");
      if (problem.fields && typeof problem.fields === "object") fields = problem.fields;
    } catch (error) {
      /* not JSON: the status says enough */
    }
    throw new ApiError(response.status, Number.isFinite(retryAfter) ? retryAfter : 5, code, fields);
  }
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : null;
}

async function ensureConversation() {
  if (conv) return conv;
  // The path only: query strings can carry tokens or personal data the help desk must not store.
  const page_url = location.origin + location.pathname;
  const created = await request("POST", "/conversations", { locale: LOCALE, page_url });
  const { id, token, locale, locales } = created;
  conv = { id, token, cursor: 0, read: 0, handedOff: false, answered: false, locale, locales };
  restored = true; // a new conversation has nothing to restore
  saveState();
  return conv;
}

// Shows a friendly error with a retry button in the log; never the raw response.
function showError(error, retry) {
  let text = T.failed;
  let wait = 0;
  if (error instanceof ApiError) {
    if (error.status === 429) {
      wait = Math.max(1, Math.min(error.retryAfter, 300));
      text = t("slowDown", wait);
    } else if (error.status >= 500) text = T.unavailable;
  } else {
    text = T.offline; // fetch rejects only when the network (or CORS) fails
  }
  const notice = el("div", { class: "msg notice error", role: "alert" }, [el("p", { text })]);
  if (retry) {
    const button = el("button", { type: "button", class: "retry", text: T.retry, disabled: wait > 0 });
    if (wait) setTimeout(() => (button.disabled = false), wait * 1000);
    button.addEventListener("click", () => {
      notice.remove();
      retry();
    });
    notice.append(el("div", { class: "actions" }, [button]));
  }
  append(notice);
}

// An unknown, expired or closed conversation (deleted on request, purged, closed after inactivity):
// forget it and start afresh.
function isLostConversation(error) {
  if (!(error instanceof ApiError)) return false;
  return error.status === 401 || error.status === 403 || error.status === 404 || error.code === "conversation_ended";
}

function forgetConversation() {
  stopLive();
  conv = null;
  restored = false;
  saveState();
}

// One API call with the error handling every action shares; resolves to the JSON or null on failure.
// token: the conversation to act for, when it is no longer the current one (rating an ended chat).
async function call(method, path, body, retry, token) {
  try {
    return (await request(method, path, body, token)) || {};
  } catch (error) {
    if (isLostConversation(error) && !token) forgetConversation();
    showError(error, retry);
    return null;
  }
}

function setBusy(value) {
  busy = value;
  sendButton.disabled = value;
  log.setAttribute("aria-busy", value ? "true" : "false");
  typing.replaceChildren();
  if (value) typing.append(el("span", { class: "dots", "aria-hidden": "true" }), el("span", { class: "vh", text: T.typing }));
}

async function sendBody(body, onFail) {
  setBusy(true);
  let lostOnce = false;
  const attempt = async () => {
    try {
      await ensureConversation();
      // The widget's language when faqdesk("setLocale") changed it since the server last heard it (and the
      // server speaks it): the conversation and the bot's replies follow it from this message on. Not with
      // every message: a conversation whose visitor writes in another language follows them, and the
      // page's language repeated each time would pull it back.
      body.locale = LOCALE !== conv.locale && (conv.locales || []).includes(LOCALE) ? LOCALE : undefined;
      const reply = await request("POST", `/conversations/${conv.id}/messages`, body);
      if (body.locale) remember({ locale: body.locale });
      setBusy(false);
      renderBot(reply || {});
    } catch (error) {
      // A stale stored conversation gets one silent retry in a fresh one.
      if (isLostConversation(error) && !lostOnce) {
        lostOnce = true;
        forgetConversation();
        return attempt();
      }
      setBusy(false);
      if (onFail) onFail();
      showError(error, () => {
        setBusy(true);
        attempt();
      });
    }
  };
  await attempt();
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text || busy) return;
  input.value = "";
  addVisitor(text);
  sendBody({ text });
  input.focus();
});

// On reload the stored conversation's transcript is fetched once, when the panel first opens (or with the
// page after a handoff). The server sends at most 200 messages a call: a longer one comes in pages.
async function restore() {
  restored = true;
  const data = [];
  try {
    let page;
    do {
      const last = data.length ? data[data.length - 1].id : 0;
      page = listOf(await request("GET", `/conversations/${conv.id}/messages?after=${last}`));
      data.push(...page);
    } while (page.length >= 200 && data.length < 1e4);
  } catch (error) {
    if (isLostConversation(error)) {
      forgetConversation();
      if (!log.childElementCount) addNotice("bot", T.greeting);
    } else {
      restored = false; // try again on the next open
    }
    return;
  }
  // Agent replies past the last one the visitor saw (in the open panel) are new to them: with the panel
  // closed the launcher counts them, whether they came before the reload or while it was under way. (A
  // conversation stored before "read" was kept has only its cursor, the last message the page had.)
  const known = (conv && (conv.read ?? conv.cursor)) || 0;
  for (const msg of data) {
    if (!msg || seen.has(msg.id)) continue;
    const fresh = msg.sender === "agent" && typeof msg.id === "number" && msg.id > known && !isOpen();
    advanceCursor(msg.id);
    if (msg.sender === "bot") renderBot(Object.assign({}, msg, { restored: true })); // marks it seen
    else {
      seen.add(msg.id);
      append(messageBubble(msg.sender || "system", msg));
    }
    if (msg.sender === "agent") shownReply(msg.id);
    if (fresh) {
      unread += 1;
      showUnread();
    }
    // A resolved handoff: the rating given is shown as given, else it is asked for again.
    if (isResolvedNotice(msg)) {
      if (msg.rating) addNotice("system", T.ratingThanks + " " + t("ratingScore", msg.rating));
      else showRating();
    }
  }
  if (conv && conv.handedOff) {
    showSent();
    startLive();
  }
}

function listOf(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.messages)) return data.messages;
  return [];
}
