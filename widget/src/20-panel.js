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

const launcherLabel = bind(el("span", { class: "label" }), "launcher");
const badge = el("span", { class: "badge", hidden: true, "aria-hidden": "true" });
const launcher = el("button", { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "faqdesk-panel" }, [
  icon("chat"),
  launcherLabel,
  badge,
]);
const closeButton = bind(el("button", { type: "button", class: "close" }, [icon("close")]), "close", "aria-label");
const helpButton = bind(el("button", { type: "button", class: "helpbtn", "aria-pressed": "false" }, [icon("help")]), "helpView", "aria-label");
const endButton = bind(el("button", { type: "button", class: "end" }), "end");
const log = bind(el("div", { class: "log", role: "log", "aria-live": "polite", tabindex: "0" }), "log", "aria-label");
const helpView = el("div", { class: "helpview", hidden: true });
const typing = el("div", { class: "typing", role: "status" });
const handoffCard = el("div", { class: "card handoff", hidden: true });
const ratingCard = el("div", { class: "card rating", hidden: true });
const input = el("input", {
  id: "faqdesk-input",
  type: "text",
  name: "text",
  autocomplete: "off",
  maxlength: "2000", // MessageIn's limit: a longer paste is cut where the visitor sees it, not by the server
  dir: "auto", // Arabic or Hebrew runs right to left
});
bind(input, "placeholder", "placeholder");
const sendButton = el("button", { type: "submit", class: "primary send" }, [icon("send"), bind(el("span", { class: "vh" }), "send")]);
const composer = el("form", { class: "composer" }, [
  bind(el("label", { for: "faqdesk-input", class: "vh" }), "inputLabel"),
  input,
  sendButton,
]);
// Decorative beside the title, hence alt="" (a screen reader announces the title alone).
const avatar = /^\/media\/[\w.-]+$/.test(LOOK.avatar || "") ? el("img", { class: "avatar", src: BASE + LOOK.avatar, alt: "" }) : null;
const titleNode = el("h2", { id: "faqdesk-title", text: TITLE });
if (TITLE_IS_DEFAULT) bind(titleNode, "title");
const panel = el(
  "section",
  {
    id: "faqdesk-panel",
    class: "panel",
    role: "dialog",
    "aria-labelledby": "faqdesk-title",
    lang: LOCALE,
    hidden: true,
  },
  [
    el("header", { role: "none" }, [avatar, titleNode, helpButton, endButton, closeButton]), // not a second banner of the host page
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
const root = el("div", { class: LOOK.position === "left" ? "root left" : "root", lang: LOCALE }, [launcher, panel]);
shadow.append(root);
applyStrings();

// On a small screen the open panel covers the page (15-style.js): it is then modal, and Tab and Shift+Tab
// go round inside it rather than to the hidden page's links. Beside a desktop page it is not modal.
const fullScreen = matchMedia("(max-width: 480px)");
const setModal = () => panel.setAttribute("aria-modal", String(fullScreen.matches));
setModal();
fullScreen.addEventListener("change", setModal);

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
  if (!isOpen()) return;
  if (event.key === "Tab" && fullScreen.matches) {
    // What Tab can reach now: the help view, the cards and the send button come and go.
    const stops = [...panel.querySelectorAll("a[href],button,input,textarea,[tabindex]")].filter(
      (n) => !n.disabled && n.getClientRects().length
    );
    let [to, edge] = [stops[0], stops[stops.length - 1]];
    if (event.shiftKey) [to, edge] = [edge, to];
    if (shadow.activeElement === edge) {
      event.preventDefault();
      to.focus();
    }
  }
  if (event.key !== "Escape") return;
  event.stopPropagation();
  if (handoffCard.querySelector("form") && handoffCard.contains(shadow.activeElement)) leaveHandoff();
  else if (!helpView.hidden) showHelp(false);
  else close();
});
