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
  const back = el("button", { type: "button", class: "tochat", text: T.back });
  const form = el("form", { role: "search" }, [
    el("label", { for: "faqdesk-help-q", class: "vh", text: T.searchLabel }),
    query,
    el("button", { type: "submit", class: "primary", text: T.search }),
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
  helpView.replaceChildren(form, results, popular, el("div", { class: "actions" }, [back]));
  request("GET", `/articles?locale=${encodeURIComponent(LOCALE)}&sort=popular&limit=5`)
    .then((list) => {
      if (Array.isArray(list) && list.length) popular.replaceChildren(el("h3", { text: T.popular }), articleList(list));
    })
    .catch(() => {}); // no list: the search still works
}
