// The ticket page's canned-reply picker: type to filter (title, shortcut, text), ↑/↓ to choose, Enter or a
// click to insert the reply, already filled in for this ticket, into the reply box at the cursor, where the
// agent edits it before sending. Without this script the replies are listed in a <details> to copy from.
"use strict";

function setupCanned(picker) {
  const search = picker.querySelector("input[type=search]");
  const list = picker.querySelector("[role=listbox]");
  const target = document.getElementById(picker.dataset.cannedFor);
  const options = Array.from(list.querySelectorAll("[role=option]"));
  const status = picker.querySelector("[role=status]");
  let active = -1;

  const shown = () => options.filter((option) => !option.hidden);

  function highlight(index) {
    const visible = shown();
    options.forEach((option) => option.setAttribute("aria-selected", "false"));
    active = visible.length ? (index + visible.length) % visible.length : -1;
    if (active < 0) {
      search.removeAttribute("aria-activedescendant");
      return;
    }
    const option = visible[active];
    option.setAttribute("aria-selected", "true");
    search.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }

  function filter() {
    const words = search.value.toLowerCase().replace(/^\//, "").split(/\s+/).filter(Boolean);
    options.forEach((option) => {
      const haystack = option.dataset.search || "";
      option.hidden = !words.every((word) => haystack.includes(word));
    });
    const count = shown().length;
    if (status) status.textContent = count === 1 ? (picker.dataset.one || "1 reply") : (picker.dataset.many || "%n replies").replace("%n", count);
    highlight(0);
  }

  function insert(option) {
    const text = option.querySelector(".canned-text").textContent;
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? target.value.length;
    target.setRangeText(text, start, end, "end");
    target.dispatchEvent(new Event("input", { bubbles: true }));
    target.focus();
    search.value = "";
    filter();
  }

  search.addEventListener("input", filter);
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter") {
      event.preventDefault(); // never submits a form: Enter picks
      const option = shown()[active];
      if (option) insert(option);
    } else if (event.key === "Escape" && search.value) {
      event.preventDefault();
      search.value = "";
      filter();
    }
  });
  options.forEach((option) => {
    option.addEventListener("click", () => insert(option));
    option.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the search box
  });
  picker.classList.add("enhanced");
  filter();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-canned-for]").forEach(setupCanned);
});
