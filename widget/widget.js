/*
 * faqdesk chat widget: plain JavaScript, no build step, no dependencies.
 *
 * Embed with one tag (the API base is this script's own origin, so it works on any site):
 *   <script src="https://faqdesk.example/widget/v1/widget.js" data-faqdesk-locale="de" defer></script>
 * Optional: data-faqdesk-title="Nordkap help".
 *
 * Everything renders inside a shadow root so the host page's CSS cannot break the widget and the
 * widget's CSS cannot leak out. Only the `html` field of bot and agent messages (sanitised by the
 * server with nh3) is inserted as HTML; every other string goes through textContent.
 */
(function () {
  "use strict";

  // document.currentScript is null once the script has run; capture it first. The query is the
  // fallback for hosts that inject the tag in ways that hide currentScript.
  const script = document.currentScript || document.querySelector("script[src*='/widget/v1/widget.js']");
  if (!script || window.__faqdeskWidgetLoaded) return; // embedded twice: keep the first
  window.__faqdeskWidgetLoaded = true;

  const BASE = new URL(script.getAttribute("src"), document.baseURI).origin;
  const API = BASE + "/api/v1";
  const POLL_MS = 3000;
  const STORAGE_KEY = "faqdesk:conversation:" + BASE;

  // {locale: {key: text}} for every locale with a catalogue, filled in by the server from the one
  // translation catalogue (core/locales; api/widget_strings.py names the keys).
  const STRINGS = /*faqdesk:strings*/ {};
  const LOCALES = Object.keys(STRINGS);

  function pickLocale() {
    const candidates = [script.getAttribute("data-faqdesk-locale"), document.documentElement.lang, navigator.language];
    for (const value of candidates) {
      // Only the primary subtag matters: "de-AT" and "de_CH" get the German widget. An unsupported
      // value falls through to the next source rather than straight to English.
      const primary = String(value || "").trim().toLowerCase().split(/[-_]/)[0];
      if (LOCALES.includes(primary)) return primary;
    }
    return "en";
  }

  const LOCALE = pickLocale();
  const T = STRINGS[LOCALE];
  const t = (key, n) => T[key].replace("{n}", String(n));
  const TITLE = script.getAttribute("data-faqdesk-title") || T.title;

  // ---- state kept across reloads (sessionStorage: per tab and per host origin) ----

  // Storage can throw (disabled cookies, sandboxed iframes); the widget then just forgets on reload.
  function loadState() {
    try {
      const raw = window.sessionStorage.getItem(STORAGE_KEY);
      const parsed = raw ? JSON.parse(raw) : null;
      if (parsed && typeof parsed.id === "string" && typeof parsed.token === "string") return parsed;
    } catch (error) {
      /* unavailable or corrupt: start afresh */
    }
    return null;
  }

  function saveState() {
    try {
      if (conv) window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(conv));
      else window.sessionStorage.removeItem(STORAGE_KEY);
    } catch (error) {
      /* not persisted: the conversation still works until the page unloads */
    }
  }

  // {id, token, cursor, handedOff, answered}
  let conv = loadState();
  let restored = false;
  let busy = false;
  const seen = new Set(); // message ids already shown (POST replies, polls and events overlap)

  // ---- DOM helpers ----

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  const STYLE = `
    :host { all: initial; }
    * { box-sizing: border-box; }
    .root { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; display: flex; flex-direction: column-reverse;
      align-items: flex-end; gap: 12px; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
      color: #1c2430; }
    button, input, textarea { font: inherit; color: inherit; }
    button { cursor: pointer; border-radius: 8px; border: 1px solid #1f4e79; background: #fff; color: #1f4e79;
      padding: 6px 12px; }
    button:hover { background: #eef4fa; }
    button:disabled { cursor: default; opacity: .6; }
    :focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
    .launcher { background: #1f4e79; color: #fff; border: 0; border-radius: 999px; padding: 12px 20px;
      font-weight: 600; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
    .launcher:hover { background: #173b5c; }
    .panel { width: min(380px, calc(100vw - 32px)); height: min(600px, calc(100vh - 96px)); background: #fff;
      border: 1px solid #c9d3de; border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.2); display: flex;
      flex-direction: column; overflow: hidden; }
    .panel[hidden] { display: none; }
    header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: #1f4e79; color: #fff; }
    header h2 { flex: 1; margin: 0; font-size: 16px; }
    header button { border-color: #fff; background: transparent; color: #fff; padding: 4px 10px; }
    header button:hover { background: #173b5c; }
    .log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; }
    .msg { max-width: 88%; padding: 8px 12px; border-radius: 12px; overflow-wrap: anywhere; }
    .msg p { margin: 0 0 .5em; } .msg p:last-child { margin-bottom: 0; }
    .msg ul, .msg ol { margin: .3em 0; padding-left: 1.3em; }
    .msg img { max-width: 100%; height: auto; }
    .msg a { color: #1f4e79; }
    .visitor { align-self: flex-end; background: #1f4e79; color: #fff; white-space: pre-wrap; }
    .bot, .agent { align-self: flex-start; background: #eef2f6; }
    .agent { border-left: 4px solid #2e7d32; }
    .system, .notice { align-self: center; background: #fff8e1; border: 1px solid #f0d98a; font-size: 14px; }
    .notice.error { background: #fdecea; border-color: #f5b7b1; }
    .who { display: block; font-size: 12px; font-weight: 600; color: #4a5a6a; margin-bottom: 2px; }
    .actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; align-items: center; }
    .articles { margin: 6px 0 0; padding-left: 1.2em; }
    .snippet { display: block; font-size: 13px; color: #4a5a6a; }
    .vh { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
      white-space: nowrap; margin: -1px; padding: 0; border: 0; }
    .typing { padding: 0 12px 6px; font-size: 13px; color: #4a5a6a; min-height: 1.2em; }
    .typing .dots::after { content: "•••"; letter-spacing: 2px; animation: blink 1.2s infinite; }
    @keyframes blink { 50% { opacity: .3; } }
    @media (prefers-reduced-motion: reduce) { .typing .dots::after { animation: none; } }
    .card { border-top: 1px solid #dde3ea; padding: 10px 12px; display: flex; flex-direction: column; gap: 6px; }
    .card[hidden] { display: none; }
    .card h3 { margin: 0; font-size: 15px; }
    .card p { margin: 0; font-size: 14px; }
    .card label { font-size: 13px; font-weight: 600; }
    .card input, .card textarea { width: 100%; padding: 6px 8px; border: 1px solid #8a99a8; border-radius: 6px; }
    .card input[aria-invalid="true"] { border-color: #c62828; }
    .field-error { color: #c62828; font-size: 13px; }
    .field-error:empty { display: none; }
    fieldset { border: 0; margin: 0; padding: 0; }
    legend { font-weight: 600; padding: 0; margin-bottom: 4px; }
    .scores { display: flex; gap: 10px; }
    .scores label { font-weight: 400; display: flex; gap: 3px; align-items: center; }
    .scores input { width: auto; }
    .primary { background: #1f4e79; color: #fff; }
    .primary:hover { background: #173b5c; }
    form.composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #dde3ea; }
    form.composer input { flex: 1; min-width: 0; padding: 8px 10px; border: 1px solid #8a99a8; border-radius: 8px; }
  `;

  // ---- the widget's DOM ----

  const host = el("div", { id: "faqdesk-widget", "data-faqdesk": "" });
  const shadow = host.attachShadow({ mode: "open" });
  // Constructable stylesheets are not blocked by a host page CSP that forbids inline <style>.
  if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.append(el("style", { text: STYLE }));
  }

  const launcher = el("button", {
    type: "button",
    className: "launcher",
    "aria-expanded": "false",
    "aria-controls": "faqdesk-panel",
    text: T.launcher,
  });
  const closeButton = el("button", { type: "button", className: "close", "aria-label": T.close, text: "✕" });
  const endButton = el("button", { type: "button", className: "end", text: T.end });
  const log = el("div", { className: "log", role: "log", "aria-live": "polite", "aria-label": T.log, tabindex: "0" });
  const typing = el("div", { className: "typing", role: "status" });
  const handoffCard = el("div", { className: "card handoff", hidden: true });
  const ratingCard = el("div", { className: "card rating", hidden: true });
  const input = el("input", {
    id: "faqdesk-input",
    type: "text",
    name: "text",
    autocomplete: "off",
    maxlength: "1000",
    placeholder: T.placeholder,
  });
  const sendButton = el("button", { type: "submit", className: "primary send", text: T.send });
  const composer = el("form", { className: "composer" }, [
    el("label", { for: "faqdesk-input", className: "vh", text: T.inputLabel }),
    input,
    sendButton,
  ]);
  const panel = el(
    "section",
    {
      id: "faqdesk-panel",
      className: "panel",
      role: "dialog",
      "aria-modal": "false",
      "aria-labelledby": "faqdesk-title",
      lang: LOCALE,
      hidden: true,
    },
    [
      el("header", {}, [el("h2", { id: "faqdesk-title", text: TITLE }), endButton, closeButton]),
      log,
      typing,
      handoffCard,
      ratingCard,
      composer,
    ]
  );
  // The panel comes after the launcher in the DOM, so Tab moves from the launcher into the open panel;
  // column-reverse still draws the panel above the launcher.
  const root = el("div", { className: "root", lang: LOCALE }, [launcher, panel]);
  shadow.append(root);

  // ---- opening and closing ----

  function isOpen() {
    return !panel.hidden;
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (!log.childElementCount && !conv) addNotice("bot", T.greeting);
    if (conv && !restored) restore();
    else if (conv && conv.handedOff) startLive();
    acknowledgeReplies(); // replies shown before the panel was closed are on screen again
    input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    stopLive(); // live updates only while the panel is open; agents' replies also go out by email
    launcher.focus();
  }

  launcher.addEventListener("click", () => (isOpen() ? close() : open()));
  closeButton.addEventListener("click", close);
  // Listening on the shadow root catches Esc from any control inside the widget, and only there.
  shadow.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen()) {
      event.stopPropagation();
      close();
    }
  });

  // ---- rendering messages ----

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function whoLabel(sender) {
    return { visitor: T.you, bot: T.bot, agent: T.agent, system: T.system }[sender] || T.system;
  }

  // Links inside server HTML are relative to the faqdesk server, not to the host page; they open in
  // a new tab so the visitor keeps the chat. Anything but http(s)/mailto loses its href.
  function fixLinks(container) {
    for (const link of container.querySelectorAll("a[href]")) {
      let url;
      try {
        url = new URL(link.getAttribute("href"), BASE + "/");
      } catch (error) {
        link.removeAttribute("href");
        continue;
      }
      if (!["http:", "https:", "mailto:"].includes(url.protocol)) {
        link.removeAttribute("href");
        continue;
      }
      link.href = url.href;
      if (url.protocol !== "mailto:") {
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      }
    }
    for (const img of container.querySelectorAll("img[src]")) {
      img.src = new URL(img.getAttribute("src"), BASE + "/").href;
    }
  }

  function messageBubble(sender, msg) {
    const bubble = el("div", { className: "msg " + sender });
    if (msg && msg.id !== undefined && msg.id !== null) bubble.dataset.id = String(msg.id);
    bubble.append(el("span", { className: "who vh", text: whoLabel(sender) + ":" }));
    const body = el("div", { className: "body" });
    // Only bot and agent messages carry server-sanitised HTML (nh3); the rest is plain text.
    if ((sender === "bot" || sender === "agent") && msg && typeof msg.html === "string" && msg.html) {
      body.innerHTML = msg.html;
      fixLinks(body);
    } else {
      body.textContent = (msg && msg.text) || "";
    }
    bubble.append(body);
    return bubble;
  }

  function append(node) {
    log.append(node);
    scrollDown();
    return node;
  }

  function addNotice(sender, text) {
    return append(messageBubble(sender, { text }));
  }

  function addVisitor(text) {
    return append(messageBubble("visitor", { text }));
  }

  function snippetText(snippet) {
    // Search snippets may carry <mark> highlighting; an inert parsed document (no scripts, no image
    // loads) turns them into plain text that is then set with textContent.
    if (!/[<&]/.test(snippet)) return snippet;
    return new DOMParser().parseFromString(snippet, "text/html").body.textContent || "";
  }

  function articleList(articles) {
    const list = el("ul", { className: "articles" });
    for (const article of articles) {
      if (!article || !article.url) continue;
      let url;
      try {
        url = new URL(article.url, BASE + "/");
      } catch (error) {
        continue;
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") continue;
      const link = el("a", { href: url.href, target: "_blank", rel: "noopener noreferrer" }, [
        document.createTextNode(article.title || url.href),
        el("span", { className: "vh", text: " " + T.newTab }),
      ]);
      const item = el("li", {}, [link]);
      if (article.snippet) item.append(el("span", { className: "snippet", text: snippetText(String(article.snippet)) }));
      list.append(item);
    }
    return list;
  }

  function talkButton() {
    const button = el("button", { type: "button", className: "talk", text: T.talk });
    button.addEventListener("click", () => showHandoff());
    return button;
  }

  function renderBot(reply) {
    if (reply.id !== undefined) seen.add(reply.id);
    if (reply.visitor_message_id !== undefined) seen.add(reply.visitor_message_id);
    // Once handed off, the server acknowledges visitor messages with a system notice (as a "handoff"
    // reply): the team has them, so no second handoff form.
    if (reply.type === "handoff" && conv && conv.handedOff) return append(messageBubble("system", reply));
    const bubble = messageBubble("bot", reply);
    const type = reply.type;
    if (Array.isArray(reply.articles) && reply.articles.length) {
      if (type === "suggest") bubble.append(el("p", { className: "lead", text: T.articles }));
      bubble.append(articleList(reply.articles));
    }
    if (type === "clarify" && Array.isArray(reply.options) && reply.options.length) {
      const group = el("div", { className: "actions options", role: "group", "aria-label": T.options });
      for (const option of reply.options) {
        const button = el("button", { type: "button", className: "option", text: option.label || option.intent });
        button.addEventListener("click", () => {
          if (busy) return;
          for (const other of group.querySelectorAll("button")) other.disabled = true;
          button.setAttribute("aria-pressed", "true");
          addVisitor(option.label || option.intent);
          sendBody({ option: option.intent }, () => {
            for (const other of group.querySelectorAll("button")) other.disabled = false;
          });
        });
        group.append(button);
      }
      bubble.append(group);
    }
    if (type === "suggest") bubble.append(el("div", { className: "actions" }, [talkButton()]));
    if (type === "answer" && reply.id !== undefined) bubble.append(feedbackRow(reply.id));
    append(bubble);
    if (type === "answer") remember({ answered: true });
    if (type === "handoff") showHandoff();
  }

  function feedbackRow(messageId) {
    const row = el("div", { className: "actions feedback", role: "group", "aria-label": T.didHelp }, [
      el("span", { text: T.didHelp }),
    ]);
    const make = (helpful) => {
      const button = el("button", { type: "button", className: helpful ? "yes" : "no", "aria-label": helpful ? T.yes : T.no });
      button.textContent = helpful ? "👍" : "👎";
      button.addEventListener("click", async () => {
        for (const b of row.querySelectorAll("button")) b.disabled = true;
        const ok = await call("POST", `/conversations/${conv.id}/feedback`, { message_id: messageId, helpful }, () =>
          button.click()
        );
        if (!ok) {
          for (const b of row.querySelectorAll("button")) b.disabled = false;
          return;
        }
        row.replaceChildren(el("span", { className: "thanks", text: helpful ? T.thanksFeedback : T.sorryFeedback }));
        if (!helpful) row.append(talkButton());
      });
      return button;
    };
    row.append(make(true), make(false));
    return row;
  }

  // Agent and system messages from polling or server-sent events. Our own visitor messages and bot
  // replies were already shown from the POST round trip.
  function renderLive(msg) {
    if (!msg || msg.id === undefined || seen.has(msg.id)) return;
    seen.add(msg.id);
    advanceCursor(msg.id);
    if (msg.sender !== "agent" && msg.sender !== "system") return;
    append(messageBubble(msg.sender, msg));
    if (msg.sender === "agent") shownReply(msg.id);
    if (msg.sender === "system" && isResolvedNotice(msg)) showRating();
  }

  // An agent reply the visitor has not seen is emailed to them after a few minutes, so the server is told
  // which replies are on screen: in the open panel of a visible page. "Returned by a poll or the event
  // stream" would not do: a response lost on the way or a tab closed a moment before would count as
  // seen and the reply would never be emailed. A lost acknowledgement only costs a duplicate email.
  let replyShown = 0; // the highest agent reply id put on screen
  let replyAcknowledged = 0;

  function shownReply(id) {
    if (typeof id === "number" && id > replyShown) replyShown = id;
    acknowledgeReplies();
  }

  function acknowledgeReplies() {
    if (!conv || replyShown <= replyAcknowledged || !isOpen() || document.visibilityState !== "visible") return;
    const upTo = replyShown;
    replyAcknowledged = upTo;
    request("POST", `/conversations/${conv.id}/seen`, { message_id: upTo }).catch(() => {
      if (replyAcknowledged === upTo) replyAcknowledged = 0; // again on the next reply, opening or tab switch
    });
  }

  document.addEventListener("visibilitychange", acknowledgeReplies);

  // Fetches what is new once; resolves to how many agent or system messages were shown.
  async function catchUp() {
    if (!conv) return 0;
    try {
      const data = await request("GET", `/conversations/${conv.id}/messages?after=${conv.cursor || 0}`);
      const before = log.querySelectorAll(".msg.agent, .msg.system").length;
      for (const msg of listOf(data)) renderLive(msg);
      return log.querySelectorAll(".msg.agent, .msg.system").length - before;
    } catch (error) {
      return 0;
    }
  }

  // When an agent resolves the handoff, the server posts a system notice with type "resolved".
  function isResolvedNotice(msg) {
    return msg.sender === "system" && msg.type === "resolved";
  }

  function advanceCursor(id) {
    if (typeof id === "number" && conv && (!conv.cursor || id > conv.cursor)) remember({ cursor: id });
  }

  function remember(changes) {
    if (!conv) return;
    Object.assign(conv, changes);
    saveState();
  }

  // ---- talking to the API ----

  class ApiError extends Error {
    constructor(status, retryAfter, code) {
      super("HTTP " + status);
      this.status = status;
      this.retryAfter = retryAfter;
      this.code = code || "";
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
      try {
        code = String((await response.json()).error || "");
      } catch (error) {
        /* not JSON: the status says enough */
      }
      throw new ApiError(response.status, Number.isFinite(retryAfter) ? retryAfter : 5, code);
    }
    const type = response.headers.get("Content-Type") || "";
    return type.includes("json") ? response.json() : null;
  }

  async function ensureConversation() {
    if (conv) return conv;
    // The path only: query strings can carry tokens or personal data the help desk must not store.
    const page_url = location.origin + location.pathname;
    const created = await request("POST", "/conversations", { locale: LOCALE, page_url });
    conv = { id: created.id, token: created.token, cursor: 0, handedOff: false, answered: false };
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
    const notice = el("div", { className: "msg notice error", role: "alert" }, [el("p", { text })]);
    if (retry) {
      const button = el("button", { type: "button", className: "retry", text: T.retry, disabled: wait > 0 });
      if (wait) setTimeout(() => (button.disabled = false), wait * 1000);
      button.addEventListener("click", () => {
        notice.remove();
        retry();
      });
      notice.append(el("div", { className: "actions" }, [button]));
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
    if (value) typing.append(el("span", { className: "dots", "aria-hidden": "true" }), el("span", { className: "vh", text: T.typing }));
  }

  async function sendBody(body, onFail) {
    setBusy(true);
    let lostOnce = false;
    const attempt = async () => {
      try {
        await ensureConversation();
        const reply = await request("POST", `/conversations/${conv.id}/messages`, body);
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

  // On reload the stored conversation's transcript is fetched once, when the panel first opens.
  async function restore() {
    restored = true;
    let data;
    try {
      data = await request("GET", `/conversations/${conv.id}/messages?after=0`);
    } catch (error) {
      if (isLostConversation(error)) {
        forgetConversation();
        if (!log.childElementCount) addNotice("bot", T.greeting);
      } else {
        restored = false; // try again on the next open
      }
      return;
    }
    for (const msg of listOf(data)) {
      if (!msg || seen.has(msg.id)) continue;
      seen.add(msg.id);
      advanceCursor(msg.id);
      if (msg.sender === "bot") renderBot(Object.assign({}, msg, { type: msg.type === "handoff" ? null : msg.type }));
      else append(messageBubble(msg.sender || "system", msg));
      if (msg.sender === "agent") shownReply(msg.id);
    }
    if (conv && conv.handedOff && isOpen()) startLive();
  }

  function listOf(data) {
    if (Array.isArray(data)) return data;
    if (data && Array.isArray(data.messages)) return data.messages;
    return [];
  }

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
    if (pollTimer || !conv || !isOpen()) return;
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

  // ---- handoff form ----

  function field(id, label, control) {
    return [el("label", { for: id, text: label }), control];
  }

  function showHandoff() {
    if (!handoffCard.hidden) return handoffCard.querySelector("input").focus();
    const email = el("input", {
      id: "faqdesk-email",
      type: "email",
      name: "email",
      required: true,
      autocomplete: "email",
      maxlength: "254",
      "aria-describedby": "faqdesk-email-error",
    });
    const emailError = el("div", { id: "faqdesk-email-error", className: "field-error", role: "alert" });
    const name = el("input", { id: "faqdesk-name", type: "text", name: "name", autocomplete: "name", maxlength: "200" });
    const message = el("textarea", { id: "faqdesk-message", name: "message", rows: "2", maxlength: "4000" });
    const submit = el("button", { type: "submit", className: "primary", text: T.submitHandoff });
    const cancel = el("button", { type: "button", className: "cancel", text: T.cancel });
    // novalidate: the widget shows its own, translated message next to the field.
    const form = el("form", { novalidate: true, "aria-labelledby": "faqdesk-handoff-title" }, [
      el("h3", { id: "faqdesk-handoff-title", text: T.handoffTitle }),
      el("p", { text: T.handoffIntro }),
      ...field("faqdesk-email", T.email, email),
      emailError,
      ...field("faqdesk-name", T.name, name),
      ...field("faqdesk-message", T.message, message),
      el("div", { className: "actions" }, [submit, cancel]),
    ]);
    cancel.addEventListener("click", () => {
      handoffCard.hidden = true;
      handoffCard.replaceChildren();
      input.focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = email.value.trim();
      const problem = !value ? T.emailMissing : email.validity.typeMismatch ? T.emailInvalid : "";
      emailError.textContent = problem;
      email.setAttribute("aria-invalid", problem ? "true" : "false");
      if (problem) return email.focus();
      submit.disabled = true;
      const body = { email: value };
      if (name.value.trim()) body.name = name.value.trim();
      if (message.value.trim()) body.message = message.value.trim();
      let result = null;
      try {
        await ensureConversation();
        result = await call("POST", `/conversations/${conv.id}/handoff`, body, () => form.requestSubmit());
      } catch (error) {
        showError(error, () => form.requestSubmit());
      }
      submit.disabled = false;
      if (!result) return;
      handoffCard.hidden = true;
      handoffCard.replaceChildren();
      remember({ handedOff: true });
      // The server posts its own notice (when to expect a reply, which address); fetch it now rather
      // than wait for the stream. Only if that fails does the widget say something itself.
      if (!(await catchUp())) addNotice("system", result.outside_hours ? T.handoffLater : T.handoffDone);
      startLive();
      input.focus();
    });
    handoffCard.replaceChildren(form);
    handoffCard.hidden = false;
    email.focus();
  }

  // ---- rating and ending the chat ----

  function showRating() {
    if (!conv || !ratingCard.hidden) return;
    const ratedConv = conv;
    const scores = el("div", { className: "scores" });
    for (let n = 1; n <= 5; n += 1) {
      const id = "faqdesk-score-" + n;
      scores.append(
        el("label", { for: id }, [
          el("input", { id, type: "radio", name: "score", value: String(n), "aria-label": t("ratingScore", n) }),
          el("span", { text: String(n), "aria-hidden": "true" }),
        ])
      );
    }
    const problem = el("div", { className: "field-error", role: "alert" });
    const comment = el("textarea", { id: "faqdesk-comment", name: "comment", rows: "2", maxlength: "2000" });
    const submit = el("button", { type: "submit", className: "primary", text: T.ratingSubmit });
    const skip = el("button", { type: "button", className: "skip", text: T.ratingSkip });
    const form = el("form", { novalidate: true }, [
      el("fieldset", {}, [el("legend", { text: T.ratingTitle }), scores]),
      problem,
      ...field("faqdesk-comment", T.ratingComment, comment),
      el("div", { className: "actions" }, [submit, skip]),
    ]);
    const finish = (text) => {
      ratingCard.hidden = true;
      ratingCard.replaceChildren();
      if (text) addNotice("system", text);
      input.focus();
    };
    skip.addEventListener("click", () => finish(""));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = form.querySelector("input[name=score]:checked");
      problem.textContent = chosen ? "" : T.ratingMissing;
      if (!chosen) return scores.querySelector("input").focus();
      const body = { score: Number(chosen.value) };
      if (comment.value.trim()) body.comment = comment.value.trim();
      submit.disabled = true;
      // The rating belongs to the conversation it was asked for, even if a new one has started since.
      const retry = () => form.requestSubmit();
      const result = await call("POST", `/conversations/${ratedConv.id}/rating`, body, retry, ratedConv.token);
      submit.disabled = false;
      if (result) finish(T.ratingThanks);
    });
    ratingCard.replaceChildren(form);
    ratingCard.hidden = false;
    scores.querySelector("input").focus();
  }

  endButton.addEventListener("click", () => {
    const hadAnswers = conv && (conv.answered || conv.handedOff);
    // Best effort: the server also closes an abandoned conversation after the resolution window.
    if (conv) request("POST", `/conversations/${conv.id}/end`, {}, conv.token).catch(() => {});
    if (hadAnswers) showRating(); // asks about the conversation that is ending
    stopLive();
    handoffCard.hidden = true;
    handoffCard.replaceChildren();
    if (conv) addNotice("system", T.ended);
    // The next message starts a new conversation; the rating form keeps a reference to the old one.
    conv = null;
    restored = false;
    saveState();
    if (!hadAnswers) input.focus();
  });

  // The host page may still be parsing (no defer/async): wait for <body>.
  if (document.body) document.body.append(host);
  else document.addEventListener("DOMContentLoaded", () => document.body.append(host));
})();
