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
  const bubble = el("div", { class: "msg " + sender });
  if (msg && msg.id !== undefined && msg.id !== null) bubble.dataset.id = String(msg.id);
  bubble.append(el("span", { class: "who vh", text: whoLabel(sender) + ":" }));
  const body = el("div", { class: "body", dir: "auto" }); // right to left for Arabic or Hebrew
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
  const list = el("ul", { class: "articles" });
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
      el("span", { class: "vh", text: " " + T.newTab }),
    ]);
    const item = el("li", {}, [link]);
    if (article.snippet) item.append(el("span", { class: "snippet", text: snippetText(String(article.snippet)) }));
    list.append(item);
  }
  return list;
}

function talkButton() {
  const button = el("button", { type: "button", class: "talk", text: T.talk });
  button.addEventListener("click", () => showHandoff());
  return button;
}

// The server decides what each bot message asks for (support/message_view.py; it serves this script too).
function offersPerson(reply) {
  return Boolean(reply.offer_handoff) && !(conv && conv.handedOff);
}

function renderBot(reply) {
  // Already on screen: the event stream can bring a reply's notice before the POST's response does.
  if (reply.id !== undefined && seen.has(reply.id)) return null;
  if (reply.id !== undefined) seen.add(reply.id);
  if (reply.visitor_message_id !== undefined) seen.add(reply.visitor_message_id);
  // Once handed off (in this tab or another with the same conversation), the server acknowledges visitor
  // messages with a system notice: the team has them, so no handoff form; their replies come live.
  // (A restored "handoff" turn of the bot's, once handed off, is such a notice too.)
  if (reply.handed_off || (reply.type === "handoff" && conv && conv.handedOff)) {
    if (conv && !conv.handedOff) {
      remember({ handedOff: true });
      showSent();
      startLive();
    }
    return append(messageBubble("system", reply));
  }
  const bubble = messageBubble("bot", reply);
  const type = reply.type;
  if (Array.isArray(reply.articles) && reply.articles.length) {
    if (type === "suggest") bubble.append(el("p", { class: "lead", text: T.articles }));
    bubble.append(articleList(reply.articles));
  }
  // A clarifying question's options; after a miss, the likeliest questions beside the articles.
  if ((type === "clarify" || type === "suggest") && Array.isArray(reply.options) && reply.options.length) {
    if (type === "suggest") bubble.append(el("p", { class: "lead", text: T.options }));
    const group = el("div", { class: "actions options", role: "group", "aria-label": T.options });
    for (const option of reply.options) {
      const button = el("button", { type: "button", class: "option", text: option.label || option.intent });
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
  if (type === "suggest") bubble.append(el("p", { class: "hint", text: T.rephrase }));
  // An answer's "No" offers the person in its feedback row (live or restored), so not twice.
  const feedback = reply.ask_feedback && reply.id !== undefined;
  if (offersPerson(reply) && !feedback) bubble.append(el("div", { class: "actions" }, [talkButton()]));
  if (feedback) bubble.append(feedbackRow(reply.id, reply.helpful));
  append(bubble);
  if (type === "answer") remember({ answered: true });
  // A handoff turn opens the step (left with Back, its button opens it again); a replayed one does not.
  if (type === "handoff" && !reply.restored) showHandoff();
}

// Thumbs stay pressed (aria-pressed) and may be changed: the latest vote counts, and a reload shows it.
function feedbackRow(messageId, given) {
  const row = el("div", { class: "actions feedback", role: "group", "aria-label": T.didHelp }, [
    el("span", { text: T.didHelp }),
  ]);
  const status = el("span", { class: "thanks", role: "status" });
  const talk = el("span");
  const show = (helpful) => {
    for (const b of row.querySelectorAll("button.yes, button.no")) {
      b.setAttribute("aria-pressed", String(b.classList.contains("yes") === helpful));
    }
    status.textContent = helpful ? T.thanksFeedback : T.sorryFeedback;
    talk.replaceChildren(...(!helpful && !(conv && conv.handedOff) ? [talkButton()] : []));
  };
  const make = (helpful) => {
    const button = el("button", { type: "button", class: helpful ? "yes" : "no", "aria-label": helpful ? T.yes : T.no, "aria-pressed": "false" }, [
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
  advanceCursor(msg.id);
  if (msg.sender !== "agent" && msg.sender !== "system") return;
  seen.add(msg.id); // only what is shown: a bot reply passed over here is still shown by its POST's response
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
  if (!conv || !isOpen() || document.visibilityState !== "visible") return;
  if (replyShown > (conv.read || 0)) remember({ read: replyShown }); // seen: a reload no longer counts it
  if (replyShown <= replyAcknowledged) return;
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
