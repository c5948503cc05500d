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
//
// widget/src holds the script in parts named for what each holds; api/widget_minify.py joins them in name
// order inside ONE function when the script is served, so they share one closure and run top to bottom as
// the single file they were split from did. They are not modules (no import/export) and do not run on
// their own: "use strict" below is that function's first statement.
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

// {id, token, cursor, handedOff, answered, email, read, locale, locales}: cursor, the last message this
// page has had; read, the highest agent reply the visitor has seen (open panel, visible page), so a reload
// still counts later ones on the launcher; locale, the language the server was last told (at the start or
// with a message), and locales, those it speaks (a message's locale must be one).
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
const seen = new Set(); // ids of messages on screen (POST replies, polls and events overlap): each shown once
