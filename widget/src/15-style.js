const STYLE = `
  :host { all: initial; }
  .root { --accent: ${colour("accent", "#1f4e79")}; --on-accent: ${colour("onAccent", "#ffffff")};
    --hover: ${colour("hover", "#173b5c")}; --link: ${colour("link", "#1f4e79")}; }
  .root.left { right: auto; left: 16px; align-items: flex-start; }
  header .avatar { width: 28px; height: 28px; border-radius: 50%; object-fit: cover; background: #fff; }
  * { box-sizing: border-box; }
  [hidden] { display: none !important; }
  .root { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; display: flex; flex-direction: column-reverse;
    align-items: flex-end; gap: 12px; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
    color: #1c2430; }
  button, input, textarea { font: inherit; color: inherit; }
  button { cursor: pointer; border-radius: 8px; border: 1px solid var(--link); background: #fff; color: var(--link);
    padding: 6px 12px; }
  button:hover { background: #eef4fa; }
  button:disabled { cursor: default; opacity: .6; }
  :focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
  .launcher { background: var(--accent); color: var(--on-accent); border: 0; border-radius: 999px; padding: 12px 20px;
    font-weight: 600; box-shadow: 0 4px 14px rgba(0,0,0,.25); display: flex; align-items: center; gap: 8px; position: relative; }
  .panel { width: min(380px, calc(100vw - 32px)); height: min(600px, calc(100vh - 96px)); background: #fff;
    border: 1px solid #c9d3de; border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.2); display: flex;
    flex-direction: column; overflow: hidden; }
  header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: var(--accent); color: var(--on-accent); }
  header h2 { flex: 1; margin: 0; font-size: 16px; }
  header button { border-color: var(--on-accent); background: transparent; color: var(--on-accent); padding: 4px 10px;
    display: inline-flex; align-items: center; min-height: 32px; }
  .log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; }
  .msg { max-width: 88%; padding: 8px 12px; border-radius: 12px; overflow-wrap: anywhere; }
  .msg p { margin: 0 0 .5em; } .msg p:last-child { margin-bottom: 0; }
  .msg ul, .msg ol { margin: .3em 0; padding-left: 1.3em; }
  .msg img { max-width: 100%; height: auto; }
  .msg a { color: var(--link); }
  .visitor { align-self: flex-end; background: var(--accent); color: var(--on-accent); white-space: pre-wrap; }
  .bot, .agent { align-self: flex-start; background: #eef2f6; }
  .agent { border-left: 4px solid #2e7d32; }
  .system, .notice { align-self: center; background: #fff8e1; border: 1px solid #f0d98a; font-size: 14px; }
  .notice.error { background: #fdecea; border-color: #f5b7b1; }
  .who { display: block; font-size: 12px; font-weight: 600; color: #4a5a6a; margin-bottom: 2px; }
  .actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; align-items: center; }
  .articles { margin: 6px 0 0; padding-left: 1.2em; }
  .snippet { display: block; font-size: 13px; color: #4a5a6a; }
  .vh { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
    white-space: nowrap; margin: -1px; padding: 0; border: 0; }
  .typing { padding: 0 12px 6px; font-size: 13px; color: #4a5a6a; min-height: 1.2em; }
  .typing .dots::after { content: "•••"; letter-spacing: 2px; animation: blink 1.2s infinite; }
  @keyframes blink { 50% { opacity: .3; } }
  @media (prefers-reduced-motion: reduce) { .typing .dots::after { animation: none; } }
  .card { border-top: 1px solid #dde3ea; padding: 10px 12px; display: flex; flex-direction: column; gap: 6px; }
  .card h3 { margin: 0; font-size: 15px; display: flex; align-items: center; gap: 6px; }
  .card p { margin: 0; font-size: 14px; }
  .card label { font-size: 13px; font-weight: 600; }
  .card input, .card textarea { width: 100%; padding: 6px 8px; border: 1px solid #8a99a8; border-radius: 6px; }
  .card input[aria-invalid="true"] { border-color: #c62828; }
  .field-error { color: #c62828; font-size: 13px; }
  .field-error:empty { display: none; }
  fieldset { border: 0; margin: 0; padding: 0; }
  legend { font-weight: 600; padding: 0; margin-bottom: 4px; }
  .scores { display: flex; gap: 10px; }
  .scores label { font-weight: 400; display: flex; gap: 3px; align-items: center; }
  .scores input { width: auto; }
  .primary, .feedback button[aria-pressed="true"] { background: var(--accent); color: var(--on-accent); }
  .primary:hover, .launcher:hover, header button:hover { background: var(--hover); }
  form.composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #dde3ea; }
  form.composer input { flex: 1; min-width: 0; padding: 8px 10px; border: 1px solid #8a99a8; border-radius: 8px; }
  input, textarea { font-size: 16px; }
  .icon { width: 18px; height: 18px; vertical-align: middle; fill: none; stroke: currentColor; stroke-width: 2;
    stroke-linecap: round; stroke-linejoin: round; }
  .feedback .icon, .send .icon { fill: currentColor; stroke-width: 0; }
  .badge { position: absolute; top: -6px; right: -6px; min-width: 22px; height: 22px; padding: 0 6px;
    border-radius: 11px; background: #c62828; color: #fff; font-size: 13px; line-height: 22px; text-align: center; }
  .hint { margin: 6px 0 0; font-size: 14px; color: #4a5a6a; }
  .card.handoff { max-height: 38%; overflow-y: auto; }
  .card.handoff .actions { position: sticky; bottom: -10px; margin: 0 -12px -10px; padding: 6px 12px; background: #fff; }
  .card .back { padding: 2px 8px; }
  .card.sent { flex-direction: row; align-items: center; padding: 6px 12px; font-size: 13px; color: #2e7d32; }
  .card.sent span { overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
  .helpview { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; }
  .panel.helping > :not(header):not(.helpview) { display: none; }
  .helpview form { display: flex; gap: 6px; }
  .helpview input { flex: 1; min-width: 0; padding: 6px 8px; border: 1px solid #8a99a8; border-radius: 6px; }
  .helpview h3 { margin: 6px 0 0; font-size: 14px; }
  @media (max-width: 480px) {
    .panel { position: fixed; inset: 0; width: 100%; height: 100%; border-radius: 0; border: 0; }
    .root.open .launcher { display: none; }
  }
`;
