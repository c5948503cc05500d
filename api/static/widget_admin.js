// The back office's widget page: copy the embed code (the textarea stays selectable without it) and a
// preview of the appearance as it is typed. In a function of its own: admin.js has globals of these names.
(function () {
  "use strict";

  async function copyFrom(button) {
    const source = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector(".copy-status");
    try {
      await navigator.clipboard.writeText(source.value);
      status.textContent = status.dataset.copied;
    } catch (error) {
      // No clipboard access (an insecure origin, a denied permission): leave the code selected to copy by hand.
      source.focus();
      source.select();
      status.textContent = status.dataset.failed;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("button[data-copy]").forEach((button) => {
      button.addEventListener("click", () => copyFrom(button));
    });
  });

  // The preview: the launcher and the panel's header as the widget would draw them with the values typed,
  // text white or dark by the same WCAG rule as the server (support/appearance.py), which has the last word.
  function luminance(hex) {
    const channel = (i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  }

  function textOn(hex) {
    const contrast = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const accent = luminance(hex);
    if (contrast(accent, 1) >= 4.5) return "#ffffff";
    if (contrast(accent, luminance("#111111")) >= 4.5) return "#111111";
    return null;
  }

  function setupLookPreview(figure) {
    const form = document.querySelector("form.widget-look");
    const title = figure.querySelector(".lp-title");
    const avatar = figure.querySelector(".lp-avatar");
    const titleInput = form.querySelector("input[name^=title_]");
    const draw = () => {
      const accent = form.elements.accent.value;
      const valid = /^#[0-9a-f]{6}$/i.test(accent) && textOn(accent);
      figure.classList.toggle("unreadable", !valid);
      if (valid) {
        figure.style.setProperty("--accent", accent);
        figure.style.setProperty("--on-accent", textOn(accent));
      }
      figure.classList.toggle("left", form.elements.position.value === "left");
      title.textContent = (titleInput && titleInput.value.trim()) || figure.dataset.title;
      const option = form.elements.avatar.selectedOptions[0];
      avatar.hidden = !(option && option.dataset.src);
      if (!avatar.hidden) avatar.src = option.dataset.src;
    };
    form.addEventListener("input", draw);
    form.addEventListener("change", draw);
    draw();
    figure.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const figure = document.getElementById("look-preview");
    if (figure) setupLookPreview(figure);
  });
})();
