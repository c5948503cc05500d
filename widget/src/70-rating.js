// ---- rating and ending the chat ----

function showRating() {
  if (!conv || !ratingCard.hidden) return;
  const ratedConv = conv;
  const scores = el("div", { class: "scores" });
  for (let n = 1; n <= 5; n += 1) {
    const id = "faqdesk-score-" + n;
    scores.append(
      el("label", { for: id }, [
        el("input", { id, type: "radio", name: "score", value: String(n), "aria-label": t("ratingScore", n) }),
        el("span", { text: String(n), "aria-hidden": "true" }),
      ])
    );
  }
  const problem = el("div", { class: "field-error", role: "alert" });
  const comment = el("textarea", { id: "faqdesk-comment", name: "comment", rows: "2", maxlength: "2000", dir: "auto" });
  const submit = el("button", { type: "submit", class: "primary", text: T.ratingSubmit });
  const skip = el("button", { type: "button", class: "skip", text: T.ratingSkip });
  const form = el("form", { novalidate: true }, [
    el("fieldset", {}, [el("legend", { text: T.ratingTitle }), scores]),
    problem,
    ...field("faqdesk-comment", T.ratingComment, comment),
    el("div", { class: "actions" }, [submit, skip]),
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
