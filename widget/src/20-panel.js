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
