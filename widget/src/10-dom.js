// ---- DOM helpers ----

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value)); // "class" too
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
