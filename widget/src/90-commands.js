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
