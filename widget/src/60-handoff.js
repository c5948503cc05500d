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
  // An older message's button, once handed off here or in another tab: the team has the conversation.
  if (conv && conv.handedOff) return showSent();
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
    errors[key] = el("div", { id: id + "-error", class: "field-error", role: "alert" });
    return [el("label", { for: id, text: T[key] }), control, errors[key]];
  };
  const email = el("input", { type: "email", required: true, autocomplete: "email", maxlength: "254" });
  const name = el("input", { type: "text", autocomplete: "name", maxlength: "200" });
  const message = el("textarea", { rows: "2", maxlength: "4000", dir: "auto" });
  email.value = visitor.email || "";
  name.value = visitor.name || "";
  const submit = el("button", { type: "submit", class: "primary", text: T.submitHandoff });
  const back = el("button", { type: "button", class: "back", "aria-label": T.back }, [icon("back")]);
  // novalidate: the widget shows its own, translated message next to the field.
  const form = el("form", { novalidate: true, "aria-labelledby": "faqdesk-handoff-title" }, [
    el("h3", {}, [back, el("span", { id: "faqdesk-handoff-title", text: T.handoffTitle })]),
    el("p", { text: T.handoffIntro }),
    ...fieldFor("email", email),
    ...fieldFor("name", name),
    ...fieldFor("message", message),
    el("div", { class: "actions" }, [submit]),
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
