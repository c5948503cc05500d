// Browser notifications and a short sound for the agents' pages (inbox.js, handoff.js call FaqdeskAlerts).
// Opt-in: the inbox page's toggle asks for the Notification permission, and the choice is kept in this
// browser's localStorage. The sound is made with the Web Audio API: no file, nothing from elsewhere.
"use strict";

const FaqdeskAlerts = (() => {
  const KEY = "faqdesk.alerts";
  let audio = null;

  function enabled() {
    try {
      return localStorage.getItem(KEY) === "on";
    } catch (error) {
      return false; // storage blocked: alerts stay off
    }
  }

  // Two short rising tones. Browsers start audio only after a gesture on the page; until then this is silent.
  function beep() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = audio || new Context();
      if (audio.state === "suspended") audio.resume().catch(() => {});
      const start = audio.currentTime;
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.type = "sine";
      tone.frequency.setValueAtTime(660, start);
      tone.frequency.setValueAtTime(990, start + 0.12);
      volume.gain.setValueAtTime(0.0001, start);
      volume.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, start + 0.3);
      tone.connect(volume).connect(audio.destination);
      tone.start(start);
      tone.stop(start + 0.32);
    } catch (error) {
      /* no audio device: the notification still shows */
    }
  }

  // One alert: the sound, and a notification when the browser allows them. ``tag`` merges repeats
  // (the inbox and a ticket tab both seeing one message show one notification).
  function notify(title, body, url, tag) {
    if (!enabled()) return;
    beep();
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const note = new Notification(title, { body, tag });
      note.onclick = () => {
        window.focus();
        if (url) window.location.href = url;
        note.close();
      };
    } catch (error) {
      /* a browser that only notifies from a service worker: the sound was enough */
    }
  }

  function setupToggle(input) {
    const hint = document.getElementById(input.dataset.hint);
    const box = input.closest("[hidden]");
    if (box) box.hidden = false; // the toggle only means something with this script
    input.checked = enabled();
    const say = (text) => {
      if (hint) hint.textContent = text;
    };
    input.addEventListener("change", async () => {
      if (!input.checked) {
        localStorage.setItem(KEY, "off");
        say("");
        return;
      }
      localStorage.setItem(KEY, "on");
      beep(); // this click lets the page play sounds from now on
      if (!("Notification" in window)) {
        say(input.dataset.unsupported || "");
        return;
      }
      const permission = Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
      say(permission === "granted" ? "" : input.dataset.blocked || "");
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("input[data-alerts-toggle]").forEach(setupToggle);
  });

  return { enabled, notify, beep };
})();
