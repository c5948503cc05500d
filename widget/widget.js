/*
 * faqdesk chat widget: plain JavaScript, no build step, no dependencies.
 *
 * Embed with one tag (the API base is this script's own origin, so it works on any site):
 *   <script src="https://faqdesk.example/widget/v1/widget.js" data-faqdesk-locale="de" defer></script>
 * Optional: data-faqdesk-title="Nordkap help".
 *
 * JavaScript API, as Intercom's or Chatwoot's: the embed snippet (api/widget_embed.py) defines a stub that
 * queues calls made before this script has loaded; they run here in order, then calls run at once.
 *   faqdesk("open") · faqdesk("close") · faqdesk("toggle") · faqdesk("setLocale", "de")
 *   faqdesk("identify", {email, name})   prefills the handoff form (kept for the tab's conversation)
 *   faqdesk("onReady", fn)               fn() once the widget is on the page
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
  // translation catalogue (core/locales; api/widget_strings.py names the keys), packed as
  // {keys: [key, ...], locale: [text, ...]}: each key written once keeps the script in its size budget.
  const PACKED = /*faqdesk:strings*/ {};
  const STRINGS = {};
  for (const [loc, texts] of Object.entries(PACKED)) {
    if (loc !== "keys") STRINGS[loc] = Object.fromEntries(PACKED.keys.map((key, i) => [key, texts[i]]));
  }
  const LOCALES = Object.keys(STRINGS);
  // The appearance set in the back office (support/appearance.py), written in by the server like STRINGS;
  // its titles replace the catalogue's "Help" per locale. Colours are checked again before they reach CSS.
  const LOOK = /*faqdesk:appearance*/ {};
  for (const [loc, title] of Object.entries(LOOK.titles || {})) if (STRINGS[loc]) STRINGS[loc].title = title;
  const colour = (key, fallback) => (/^#[0-9a-f]{6}$/i.test(LOOK[key] || "") ? LOOK[key] : fallback);

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

  let LOCALE = pickLocale();
  let T = STRINGS[LOCALE];
  const t = (key, n) => T[key].replace("{n}", String(n));
  const TITLE = script.getAttribute("data-faqdesk-title") || T.title;
  const TITLE_IS_DEFAULT = TITLE === T.title; // then faqdesk("setLocale") translates it too

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

  // {id, token, cursor, handedOff, answered, email}
  let conv = loadState();
  // faqdesk("identify", {email, name}): prefills the handoff form; kept for the tab like the conversation.
  let visitor = {};
  try {
    visitor = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY + ":visitor") || "{}") || {};
  } catch (error) {
    /* unavailable: identify() still works until the page unloads */
  }
  let restored = false;
  let busy = false;
  let unread = 0; // agents' replies that arrived while the panel was closed, counted on the launcher
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

  // Icons as inline SVG (no emoji: machines without an emoji font showed boxes; no icon font to fetch).
  const ICONS = {
    chat: "M4 4h16v12H8l-4 4z",
    close: "M6 6l12 12M18 6L6 18",
    send: "M3 20l18-8L3 4v6l12 2-12 2z",
    up: "M7 11v9H4v-9zm2 9h8.5l2.5-7v-2h-6l1-5-1.5-1L9 10z",
    down: "M7 13V4H4v9zm2-9h8.5l2.5 7v2h-6l1 5-1.5 1L9 14z",
    back: "M15 5l-7 7 7 7",
    help: "M12 3a9 9 0 100 18 9 9 0 000-18zm0 14v.5M9.5 9.5a2.5 2.5 0 115 0c0 2-2.5 2-2.5 4.5",
  };

  function icon(name) {
    const svgNs = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "icon");
    const path = document.createElementNS(svgNs, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  const STYLE = `
    :host { all: initial; }
    .root { --accent: ${colour("accent", "#1f4e79")}; --on-accent: ${colour("onAccent", "#ffffff")};
      --hover: ${colour("hover", "#173b5c")}; --link: ${colour("link", "#1f4e79")}; }
    .root.left { right: auto; left: 16px; align-items: flex-start; }
    header .avatar { width: 28px; height: 28px; border-radius: 50%; object-fit: cover; background: #fff; }
    * { box-sizing: border-box; }
    .root { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; display: flex; flex-direction: column-reverse;
      align-items: flex-end; gap: 12px; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
      color: #1c2430; }
    button, input, textarea { font: inherit; color: inherit; }
    button { cursor: pointer; border-radius: 8px; border: 1px solid var(--link); background: #fff; color: var(--link);
      padding: 6px 12px; }
    button:hover { background: #eef4fa; }
    button:disabled { cursor: default; opacity: .6; }
    :focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
    .launcher { background: var(--accent); color: var(--on-accent); border: 0; border-radius: 999px; padding: 12px 20px;
      font-weight: 600; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
    .launcher:hover { background: var(--hover); }
    .panel { width: min(380px, calc(100vw - 32px)); height: min(600px, calc(100vh - 96px)); background: #fff;
      border: 1px solid #c9d3de; border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.2); display: flex;
      flex-direction: column; overflow: hidden; }
    .panel[hidden] { display: none; }
    header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: var(--accent); color: var(--on-accent); }
    header h2 { flex: 1; margin: 0; font-size: 16px; }
    header button { border-color: var(--on-accent); background: transparent; color: var(--on-accent); padding: 4px 10px;
      display: inline-flex; align-items: center; min-height: 32px; }
    header button:hover { background: var(--hover); }
    .log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; }
    .msg { max-width: 88%; padding: 8px 12px; border-radius: 12px; overflow-wrap: anywhere; }
    .msg p { margin: 0 0 .5em; } .msg p:last-child { margin-bottom: 0; }
    .msg ul, .msg ol { margin: .3em 0; padding-left: 1.3em; }
    .msg img { max-width: 100%; height: auto; }
    .msg a { color: var(--link); }
    .visitor { align-self: flex-end; background: var(--accent); color: var(--on-accent); white-space: pre-wrap; }
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
    .primary { background: var(--accent); color: var(--on-accent); }
    .primary:hover { background: var(--hover); }
    form.composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #dde3ea; }
    form.composer input { flex: 1; min-width: 0; padding: 8px 10px; border: 1px solid #8a99a8; border-radius: 8px; }
    input, textarea { font-size: 16px; }
    .icon { width: 18px; height: 18px; vertical-align: middle; fill: none; stroke: currentColor; stroke-width: 2;
      stroke-linecap: round; stroke-linejoin: round; }
    .feedback .icon, .send .icon { fill: currentColor; stroke-width: 0; }
    .launcher { display: flex; align-items: center; gap: 8px; position: relative; }
    .badge { position: absolute; top: -6px; right: -6px; min-width: 22px; height: 22px; padding: 0 6px;
      border-radius: 11px; background: #c62828; color: #fff; font-size: 13px; line-height: 22px; text-align: center; }
    .badge[hidden] { display: none; }
    .feedback button[aria-pressed="true"] { background: var(--accent); color: var(--on-accent); }
    .hint { margin: 6px 0 0; font-size: 14px; color: #4a5a6a; }
    .card.handoff { max-height: 38%; overflow-y: auto; }
    .card.handoff .actions { position: sticky; bottom: -10px; margin: 0 -12px -10px; padding: 6px 12px; background: #fff; }
    .card h3 { display: flex; align-items: center; gap: 6px; }
    .card .back { padding: 2px 8px; }
    .card.sent { flex-direction: row; align-items: center; padding: 6px 12px; font-size: 13px; color: #2e7d32; }
    .card.sent span { overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
    .helpview { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; }
    .helpview[hidden] { display: none; }
    .panel.helping > :not(header):not(.helpview) { display: none; }
    .helpview form { display: flex; gap: 6px; }
    .helpview input { flex: 1; min-width: 0; padding: 6px 8px; border: 1px solid #8a99a8; border-radius: 6px; }
    .helpview h3 { margin: 6px 0 0; font-size: 14px; }
    @media (max-width: 480px) {
      .panel { position: fixed; inset: 0; width: 100%; height: 100%; border-radius: 0; border: 0; }
      .root.open .launcher { display: none; }
    }
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

  // Strings that faqdesk("setLocale") changes: [node, key, attribute or "" for the text].
  const bound = [];
  function bind(node, key, attr) {
    bound.push([node, key, attr || ""]);
    return node;
  }
  function applyStrings() {
    for (const [node, key, attr] of bound) {
      if (attr) node.setAttribute(attr, T[key]);
      else node.textContent = T[key];
    }
    showUnread();
  }

  const launcherLabel = bind(el("span", { className: "label" }), "launcher");
  const badge = el("span", { className: "badge", hidden: true, "aria-hidden": "true" });
  const launcher = el("button", { type: "button", className: "launcher", "aria-expanded": "false", "aria-controls": "faqdesk-panel" }, [
    icon("chat"),
    launcherLabel,
    badge,
  ]);
  const closeButton = bind(el("button", { type: "button", className: "close" }, [icon("close")]), "close", "aria-label");
  const helpButton = bind(el("button", { type: "button", className: "helpbtn", "aria-pressed": "false" }, [icon("help")]), "helpView", "aria-label");
  const endButton = bind(el("button", { type: "button", className: "end" }), "end");
  const log = bind(el("div", { className: "log", role: "log", "aria-live": "polite", tabindex: "0" }), "log", "aria-label");
  const helpView = el("div", { className: "helpview", hidden: true });
  const typing = el("div", { className: "typing", role: "status" });
  const handoffCard = el("div", { className: "card handoff", hidden: true });
  const ratingCard = el("div", { className: "card rating", hidden: true });
  const input = el("input", {
    id: "faqdesk-input",
    type: "text",
    name: "text",
    autocomplete: "off",
    maxlength: "1000",
  });
  bind(input, "placeholder", "placeholder");
  const sendButton = el("button", { type: "submit", className: "primary send" }, [icon("send"), bind(el("span", { className: "vh" }), "send")]);
  const composer = el("form", { className: "composer" }, [
    bind(el("label", { for: "faqdesk-input", className: "vh" }), "inputLabel"),
    input,
    sendButton,
  ]);
  // Decorative beside the title, hence alt="" (a screen reader announces the title alone).
  const avatar = /^\/media\/[\w.-]+$/.test(LOOK.avatar || "") ? el("img", { className: "avatar", src: BASE + LOOK.avatar, alt: "" }) : null;
  const titleNode = el("h2", { id: "faqdesk-title", text: TITLE });
  if (TITLE_IS_DEFAULT) bind(titleNode, "title");
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
      el("header", {}, [avatar, titleNode, helpButton, endButton, closeButton]),
      log,
      helpView,
      typing,
      handoffCard,
      ratingCard,
      composer,
    ]
  );
  // The panel comes after the launcher in the DOM, so Tab moves from the launcher into the open panel;
  // column-reverse still draws the panel above the launcher.
  const root = el("div", { className: LOOK.position === "left" ? "root left" : "root", lang: LOCALE }, [launcher, panel]);
  shadow.append(root);
  applyStrings();

  // ---- opening and closing ----

  function isOpen() {
    return !panel.hidden;
  }

  function open() {
    panel.hidden = false;
    root.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    if (!log.childElementCount && !conv) addNotice("bot", T.greeting);
    if (conv && !restored) restore();
    else if (conv && conv.handedOff) startLive();
    unread = 0;
    showUnread();
    acknowledgeReplies(); // replies shown before the panel was closed are on screen again
    if (helpView.hidden) input.focus();
  }

  function close() {
    const focused = Boolean(shadow.activeElement); // not when faqdesk("close") runs with focus on the host page
    panel.hidden = true;
    root.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    // After a handoff, live updates go on while the panel is closed: the launcher counts agents' replies.
    if (!conv || !conv.handedOff) stopLive();
    if (focused) launcher.focus();
  }

  function toggle() {
    if (isOpen()) close();
    else open();
  }

  function showUnread() {
    badge.hidden = !unread;
    badge.textContent = String(unread);
    launcher.setAttribute("aria-label", unread ? T.launcher + " (" + t("unread", unread) + ")" : T.launcher);
  }

  launcher.addEventListener("click", toggle);
  closeButton.addEventListener("click", close);
  // Listening on the shadow root catches Esc from any control inside the widget, and only there. Esc in
  // the handoff step leaves the step; anywhere else it closes the panel.
  shadow.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !isOpen()) return;
    event.stopPropagation();
    if (handoffCard.querySelector("form") && handoffCard.contains(shadow.activeElement)) leaveHandoff();
    else if (!helpView.hidden) showHelp(false);
    else close();
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

  // The server decides what each bot message asks for (support/message_view.py; it serves this script too).
  function offersPerson(reply) {
    return Boolean(reply.offer_handoff) && !(conv && conv.handedOff);
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
    // After a miss: a hint to ask again in other words, and a person offered, not forced.
    if (type === "suggest") bubble.append(el("p", { className: "hint", text: T.rephrase }));
    // An answer's "No" offers the person in its feedback row (live or restored), so not twice.
    const feedback = reply.ask_feedback && reply.id !== undefined;
    if (offersPerson(reply) && !feedback) bubble.append(el("div", { className: "actions" }, [talkButton()]));
    if (feedback) bubble.append(feedbackRow(reply.id, reply.helpful));
    append(bubble);
    if (type === "answer") remember({ answered: true });
    // A handoff turn opens the step (left with Back, its button opens it again); a replayed one does not.
    if (type === "handoff" && !reply.restored) showHandoff();
  }

  // Thumbs stay pressed (aria-pressed) and may be changed: the latest vote counts, and a reload shows it.
  function feedbackRow(messageId, given) {
    const row = el("div", { className: "actions feedback", role: "group", "aria-label": T.didHelp }, [
      el("span", { text: T.didHelp }),
    ]);
    const status = el("span", { className: "thanks", role: "status" });
    const talk = el("span");
    const show = (helpful) => {
      for (const b of row.querySelectorAll("button.yes, button.no")) {
        b.setAttribute("aria-pressed", String(b.classList.contains("yes") === helpful));
      }
      status.textContent = helpful ? T.thanksFeedback : T.sorryFeedback;
      talk.replaceChildren(...(!helpful && !(conv && conv.handedOff) ? [talkButton()] : []));
    };
    const make = (helpful) => {
      const button = el("button", { type: "button", className: helpful ? "yes" : "no", "aria-label": helpful ? T.yes : T.no, "aria-pressed": "false" }, [
        icon(helpful ? "up" : "down"),
      ]);
      button.addEventListener("click", async () => {
        if (!conv) return;
        for (const b of row.querySelectorAll("button")) b.disabled = true;
        const ok = await call("POST", `/conversations/${conv.id}/feedback`, { message_id: messageId, helpful }, () => button.click());
        for (const b of row.querySelectorAll("button")) b.disabled = false;
        if (ok) show(helpful);
      });
      return button;
    };
    row.append(make(true), make(false), status, talk);
    if (given === true || given === false) show(given);
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
    if (msg.sender === "agent") {
      shownReply(msg.id);
      if (!isOpen()) {
        unread += 1;
        showUnread();
      }
    }
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
      if (msg.sender === "bot") renderBot(Object.assign({}, msg, { restored: true }));
      else append(messageBubble(msg.sender || "system", msg));
      if (msg.sender === "agent") shownReply(msg.id);
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

  // ---- handoff form ----

  function field(id, label, control) {
    return [el("label", { for: id, text: label }), control];
  }

  // A step the visitor can leave (Back, Esc) that never takes most of the panel (CSS: at most 38% of it,
  // scrolling inside) and shrinks to one line once sent.
  function leaveHandoff() {
    if (!handoffCard.querySelector("form")) return;
    handoffCard.hidden = true;
    handoffCard.replaceChildren();
    if (conv && conv.handedOff) showSent();
    input.focus();
  }

  function showSent() {
    const line = T.handoffSent + (conv && conv.email ? " · " + conv.email : "");
    handoffCard.className = "card sent";
    handoffCard.replaceChildren(el("span", { role: "status", title: line, text: "✓ " + line }));
    handoffCard.hidden = false;
  }

  function showHandoff() {
    if (handoffCard.querySelector("form")) return handoffCard.querySelector("input").focus();
    handoffCard.className = "card handoff";
    const controls = {};
    const errors = {};
    const fieldFor = (key, control) => {
      const id = "faqdesk-" + key;
      control.id = id;
      control.name = key;
      control.setAttribute("aria-describedby", id + "-error");
      controls[key] = control;
      errors[key] = el("div", { id: id + "-error", className: "field-error", role: "alert" });
      return [el("label", { for: id, text: T[key] }), control, errors[key]];
    };
    const email = el("input", { type: "email", required: true, autocomplete: "email", maxlength: "254" });
    const name = el("input", { type: "text", autocomplete: "name", maxlength: "200" });
    const message = el("textarea", { rows: "2", maxlength: "4000" });
    email.value = visitor.email || "";
    name.value = visitor.name || "";
    const submit = el("button", { type: "submit", className: "primary", text: T.submitHandoff });
    const back = el("button", { type: "button", className: "back", "aria-label": T.back }, [icon("back")]);
    // novalidate: the widget shows its own, translated message next to the field.
    const form = el("form", { novalidate: true, "aria-labelledby": "faqdesk-handoff-title" }, [
      el("h3", {}, [back, el("span", { id: "faqdesk-handoff-title", text: T.handoffTitle })]),
      el("p", { text: T.handoffIntro }),
      ...fieldFor("email", email),
      ...fieldFor("name", name),
      ...fieldFor("message", message),
      el("div", { className: "actions" }, [submit]),
    ]);
    back.addEventListener("click", leaveHandoff);
    const showProblems = (problems) => {
      let first = null;
      for (const key of Object.keys(controls)) {
        const problem = problems[key] ? String(problems[key]) : "";
        errors[key].textContent = problem;
        controls[key].setAttribute("aria-invalid", problem ? "true" : "false");
        if (problem && !first) first = controls[key];
      }
      if (first) first.focus();
      return Boolean(first);
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = email.value.trim();
      if (showProblems({ email: !value ? T.emailMissing : email.validity.typeMismatch ? T.emailInvalid : "" })) return;
      submit.disabled = true;
      const body = { email: value };
      if (name.value.trim()) body.name = name.value.trim();
      if (message.value.trim()) body.message = message.value.trim();
      let result = null;
      try {
        await ensureConversation();
        result = await request("POST", `/conversations/${conv.id}/handoff`, body);
      } catch (error) {
        // The server's refusal of a field (an address without a dot in its domain) goes beside the field,
        // in the visitor's language: a retry could never succeed.
        const known = error instanceof ApiError && Object.keys(error.fields).some((key) => key in controls);
        if (known) showProblems(error.fields);
        else {
          if (isLostConversation(error)) forgetConversation();
          showError(error, () => form.requestSubmit());
        }
      }
      submit.disabled = false;
      if (!result) return;
      remember({ handedOff: true, email: value.toLowerCase() });
      handoffCard.replaceChildren();
      showSent();
      // The server posts its own notice (when to expect a reply, which address); fetch it now rather
      // than wait for the stream. Only if that fails does the widget say something itself.
      if (!(await catchUp())) addNotice("system", result.outside_hours ? T.handoffLater : T.handoffDone);
      startLive();
      input.focus();
    });
    handoffCard.replaceChildren(form);
    handoffCard.hidden = false;
    (email.value ? (name.value ? message : name) : email).focus();
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

  // ---- the help view: the locale's popular articles and a search of the help center ----

  function showHelp(show) {
    panel.classList.toggle("helping", show);
    helpView.hidden = !show;
    helpButton.setAttribute("aria-pressed", String(show));
    if (!show) return input.focus();
    if (!helpView.childElementCount) buildHelp();
    helpView.querySelector("input").focus();
  }

  helpButton.addEventListener("click", () => showHelp(helpView.hidden));

  // Articles open on the help center in a new tab (articleList), so the chat stays where it was.
  function buildHelp() {
    const query = el("input", { id: "faqdesk-help-q", type: "search", maxlength: "200", autocomplete: "off" });
    const results = el("div", { role: "status" });
    const popular = el("div");
    const back = el("button", { type: "button", className: "tochat", text: T.back });
    const form = el("form", { role: "search" }, [
      el("label", { for: "faqdesk-help-q", className: "vh", text: T.searchLabel }),
      query,
      el("button", { type: "submit", className: "primary", text: T.search }),
    ]);
    back.addEventListener("click", () => showHelp(false));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const q = query.value.trim();
      if (!q) return query.focus();
      const path = `/search?locale=${encodeURIComponent(LOCALE)}&limit=5&q=${encodeURIComponent(q)}`;
      const hits = await request("GET", path).catch(() => null);
      const found = (Array.isArray(hits) ? hits : []).map((h) => ({ title: h.title, url: h.url, snippet: h.snippet_html }));
      results.replaceChildren(el("h3", { text: T.results }), found.length ? articleList(found) : el("p", { text: T.noResults }));
    });
    helpView.replaceChildren(form, results, popular, el("div", { className: "actions" }, [back]));
    request("GET", `/articles?locale=${encodeURIComponent(LOCALE)}&sort=popular&limit=5`)
      .then((list) => {
        if (Array.isArray(list) && list.length) popular.replaceChildren(el("h3", { text: T.popular }), articleList(list));
      })
      .catch(() => {}); // no list: the search still works
  }

  // ---- the JavaScript API: faqdesk("open"), ("close"), ("toggle"), ("setLocale", l), ("identify", {}), ("onReady", fn) ----

  let mounted = false;
  const waiting = []; // calls made before the widget is on the page, in order
  const commands = {
    open,
    close,
    toggle,
    setLocale(value) {
      const primary = String(value || "").trim().toLowerCase().split(/[-_]/)[0];
      if (!LOCALES.includes(primary) || primary === LOCALE) return;
      LOCALE = primary;
      T = STRINGS[LOCALE];
      root.lang = panel.lang = LOCALE;
      applyStrings();
      helpView.replaceChildren(); // built again in the new language when next shown
      if (!helpView.hidden) buildHelp();
      const first = log.firstElementChild; // the untouched greeting follows the language too
      if (first && log.childElementCount === 1 && !conv) first.replaceWith(messageBubble("bot", { text: T.greeting }));
    },
    identify(data) {
      if (!data || typeof data !== "object") return;
      for (const key of ["email", "name"]) if (typeof data[key] === "string") visitor[key] = data[key].trim().slice(0, key === "email" ? 254 : 200);
      try {
        window.sessionStorage.setItem(STORAGE_KEY + ":visitor", JSON.stringify(visitor));
      } catch (error) {
        /* kept in memory only */
      }
      for (const key of ["email", "name"]) {
        const control = handoffCard.querySelector("#faqdesk-" + key);
        if (control && !control.value && visitor[key]) control.value = visitor[key];
      }
    },
    onReady(callback) {
      if (typeof callback === "function") callback(); // commands run once the widget is on the page
    },
  };

  function faqdesk(command, ...args) {
    if (!mounted) return void waiting.push([command, ...args]);
    if (!Object.prototype.hasOwnProperty.call(commands, command)) return console.warn("faqdesk: unknown command", command);
    try {
      commands[command](...args);
    } catch (error) {
      console.error("faqdesk:", command, error); // a host page's mistake never breaks the widget
    }
  }

  // Calls queued by the embed snippet's stub before this script loaded run first, in order.
  const queued = window.faqdesk && Array.isArray(window.faqdesk.q) ? window.faqdesk.q : [];
  for (const args of queued) waiting.push(Array.from(args));
  window.faqdesk = faqdesk;

  function mount() {
    document.body.append(host);
    mounted = true;
    for (const args of waiting.splice(0)) faqdesk(...args);
    // After a handoff the transcript and live updates start with the page, so replies that arrive while
    // the panel is closed show on the launcher.
    if (conv && conv.handedOff && !restored) restore();
  }

  // The host page may still be parsing (no defer/async): wait for <body>.
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
