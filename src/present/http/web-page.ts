import { escapeHtml } from '../escape-html.js';

export interface WebPageOptions {
  /** CSP nonce for the inline style and script (fresh per response). */
  readonly nonce: string;
  readonly version: string;
  readonly authRequired: boolean;
  readonly maxUploadBytes: number;
}

/**
 * The page at `/`: one self-contained document (inline CSS and script under a nonce CSP, nothing fetched from
 * elsewhere). Everything that comes from the API — file names, error messages, verdict sentences — is put in the
 * page with textContent, never as HTML, because it derives from uploaded files.
 */
export function renderWebPage(o: WebPageOptions): string {
  const nonce = escapeHtml(o.nonce);
  const config = JSON.stringify({ authRequired: o.authRequired, maxUploadBytes: o.maxUploadBytes }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>natlens — upload captures</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">
  :root { --fg: #1d2330; --muted: #5c6577; --line: #d8dce4; --accent: #2457c5; --ok: #1e7d3a; --bad: #b3261e; --warn: #a15c00; }
  * { box-sizing: border-box; }
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0; background: #f6f7f9; }
  header { background: #1d2330; color: #fff; padding: 14px 24px; }
  header h1 { margin: 0; font-size: 19px; }
  header p { margin: 2px 0 0; color: #c5cad6; font-size: 13px; }
  main { max-width: 1100px; margin: 0 auto; padding: 20px 24px 40px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin-bottom: 20px; }
  h2 { font-size: 16px; margin: 0 0 12px; }
  #drop { border: 2px dashed var(--line); border-radius: 8px; padding: 22px; text-align: center; color: var(--muted); cursor: pointer; }
  #drop.over { border-color: var(--accent); background: #eef3ff; color: var(--fg); }
  #chosen { margin: 8px 0 0; font-size: 13px; color: var(--muted); min-height: 1em; }
  .row { display: flex; gap: 12px; flex-wrap: wrap; align-items: end; margin-top: 12px; }
  label { font-size: 13px; color: var(--muted); display: flex; flex-direction: column; gap: 3px; }
  input[type=text], input[type=password] { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 5px; width: 11em; }
  button { font: inherit; padding: 6px 16px; border-radius: 5px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
  button:disabled { opacity: .5; cursor: default; }
  button.plain { background: #fff; color: var(--bad); border-color: var(--line); padding: 2px 10px; font-size: 13px; }
  progress { width: 220px; }
  #message { margin-top: 10px; font-size: 14px; min-height: 1.2em; }
  #message.error { color: var(--bad); }
  table { width: 100%; border-collapse: collapse; font-size: 14px; }
  th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
  td.id { font-family: ui-monospace, monospace; font-size: 12px; }
  .status { font-weight: 600; }
  .status[data-status=done] { color: var(--ok); }
  .status[data-status=failed] { color: var(--bad); }
  .status[data-status=running], .status[data-status=queued] { color: var(--warn); }
  .verdict-packets-stop { color: var(--bad); }
  .links a { margin-right: 10px; white-space: nowrap; }
  .files { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
  .empty { color: var(--muted); }
  .hidden { display: none; }
</style>
</head>
<body>
<header>
  <h1>natlens</h1>
  <p>Where do packets stop at a Linux NAT gateway? Upload captures and a state snapshot — or a .tar/.tar.gz bundle — and get the diagnosis, reports and evidence. natlens ${escapeHtml(o.version)}</p>
</header>
<main>
<section>
  <h2>New analysis</h2>
  <form id="upload-form" method="post" action="/api/analyses" enctype="multipart/form-data">
    <div id="drop" tabindex="0" role="button" aria-controls="files">
      Drop captures (pcap, pcapng), snapshot files or a bundle tarball here, or click to choose files.
      <input id="files" name="files" type="file" multiple class="hidden">
    </div>
    <p id="chosen"></p>
    <div class="row">
      <label>Inside interface (optional)<input id="inside" name="inside" type="text" maxlength="15" placeholder="from the snapshot" autocomplete="off"></label>
      <label>Outside interface (optional)<input id="outside" name="outside" type="text" maxlength="15" placeholder="from the snapshot" autocomplete="off"></label>
      <label id="token-label" class="hidden">API token<input id="token" type="password" autocomplete="off"></label>
      <button id="upload" type="submit" disabled>Analyse</button>
      <progress id="progress" class="hidden" max="1" value="0"></progress>
    </div>
    <div id="message" role="status"></div>
  </form>
</section>
<section>
  <h2>Analyses</h2>
  <table>
    <thead><tr><th>Analysis</th><th>Uploaded</th><th>Files</th><th>Status</th><th>Result</th><th>Downloads</th><th></th></tr></thead>
    <tbody id="analyses"><tr><td colspan="7" class="empty">Loading…</td></tr></tbody>
  </table>
</section>
</main>
<script nonce="${nonce}">
"use strict";
const CONFIG = ${config};
const $ = (id) => document.getElementById(id);
const form = $("upload-form"), input = $("files"), drop = $("drop"), chosen = $("chosen"), button = $("upload");
const message = $("message"), progress = $("progress"), tbody = $("analyses"), tokenInput = $("token");
let files = [];

if (CONFIG.authRequired) {
  $("token-label").classList.remove("hidden");
  tokenInput.value = sessionStorage.getItem("natlens-token") || "";
  tokenInput.addEventListener("change", () => { sessionStorage.setItem("natlens-token", tokenInput.value); refresh(); });
}
function authHeaders() {
  return CONFIG.authRequired && tokenInput.value ? { Authorization: "Bearer " + tokenInput.value } : {};
}
function say(text, isError) {
  message.textContent = text;
  message.className = isError ? "error" : "";
}
function bytes(n) {
  if (n < 1024) return n + " B";
  if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
  if (n < 1073741824) return (n / 1048576).toFixed(1) + " MiB";
  return (n / 1073741824).toFixed(2) + " GiB";
}
function choose(list) {
  files = Array.from(list);
  const total = files.reduce((s, f) => s + f.size, 0);
  chosen.textContent = files.length ? files.map((f) => f.name).join(", ") + " — " + bytes(total) : "";
  button.disabled = files.length === 0;
  if (total > CONFIG.maxUploadBytes) say("These files are larger than the server's limit of " + bytes(CONFIG.maxUploadBytes) + ".", true);
  else say("", false);
}
input.addEventListener("change", () => choose(input.files));
drop.addEventListener("click", () => input.click());
drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
for (const ev of ["dragenter", "dragover"]) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); });
for (const ev of ["dragleave", "drop"]) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.remove("over"); });
drop.addEventListener("drop", (e) => { if (e.dataTransfer && e.dataTransfer.files.length) choose(e.dataTransfer.files); });

form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (!files.length) return;
  const data = new FormData();
  for (const f of files) data.append("files", f, f.name);
  for (const k of ["inside", "outside"]) if ($(k).value.trim()) data.append(k, $(k).value.trim());
  // XMLHttpRequest rather than fetch: it reports upload progress.
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/api/analyses");
  for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
  xhr.upload.addEventListener("progress", (p) => { if (p.lengthComputable) progress.value = p.loaded / p.total; });
  xhr.addEventListener("load", () => {
    progress.classList.add("hidden");
    button.disabled = false;
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
    if (xhr.status === 202 && body) {
      input.value = "";
      choose([]);
      say("Uploaded: analysis " + body.id + " is " + body.status + ".", false);
      refresh();
    } else {
      say("Upload refused (" + xhr.status + "): " + (body && body.error ? body.error.message : xhr.statusText), true);
    }
  });
  xhr.addEventListener("error", () => { progress.classList.add("hidden"); button.disabled = false; say("Upload failed: the connection was lost.", true); });
  progress.value = 0;
  progress.classList.remove("hidden");
  button.disabled = true;
  say("Uploading…", false);
  xhr.send(data);
});

function cell(row, text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  if (text !== undefined && text !== null) td.textContent = String(text);
  row.appendChild(td);
  return td;
}
function download(url, name) {
  // With a token, a plain link cannot carry the header: fetch, then hand the browser a blob.
  return async (e) => {
    if (!CONFIG.authRequired) return;
    e.preventDefault();
    const r = await fetch(url, { headers: authHeaders() });
    if (!r.ok) { say("Could not fetch " + name + " (" + r.status + ").", true); return; }
    const blob = await r.blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 10000);
  };
}
function link(td, url, text, cls, name) {
  const a = document.createElement("a");
  a.href = url;
  a.textContent = text;
  a.className = cls;
  a.target = "_blank";
  a.rel = "noopener";
  a.addEventListener("click", download(url, name));
  td.appendChild(a);
}
function render(list) {
  tbody.replaceChildren();
  if (!list.length) {
    const tr = document.createElement("tr");
    cell(tr, "No analyses yet.", "empty").colSpan = 7;
    tbody.appendChild(tr);
    return;
  }
  for (const a of list) {
    const tr = document.createElement("tr");
    tr.dataset.id = a.id;
    tr.dataset.status = a.status;
    cell(tr, a.id, "id");
    cell(tr, new Date(a.createdAt).toLocaleString());
    cell(tr, a.uploads.map((u) => u.archive ? u.name + " (" + u.archive.files + " files)" : u.name).join(", "), "files");
    const st = cell(tr, a.status, "status");
    st.dataset.status = a.status;
    if (a.status === "running" && a.progress && a.progress.bytesTotal) st.textContent = "running " + Math.round(100 * a.progress.bytesRead / a.progress.bytesTotal) + "%";
    const res = cell(tr, null, "result");
    if (a.summary) { res.textContent = a.summary.sentence; res.className = "result verdict-" + a.summary.verdict; }
    else if (a.error) res.textContent = a.error.message;
    const links = cell(tr, null, "links");
    if (a.status === "done") {
      link(links, a.links.reportHtml, "HTML report", "report-html", "natlens-" + a.id + "-report.html");
      link(links, a.links.reportMd, "Markdown", "report-md", "natlens-" + a.id + "-report.md");
      link(links, a.links.evidence, "Evidence pcapng", "evidence", "natlens-" + a.id + "-evidence.pcapng");
    }
    const actions = cell(tr, null);
    const del = document.createElement("button");
    del.type = "button";
    del.className = "plain delete";
    del.textContent = "Delete";
    del.addEventListener("click", async () => {
      if (!confirm("Delete analysis " + a.id + " and its files?")) return;
      const r = await fetch(a.links.self, { method: "DELETE", headers: authHeaders() });
      if (!r.ok && r.status !== 404) say("Delete failed (" + r.status + ").", true);
      refresh();
    });
    actions.appendChild(del);
    tbody.appendChild(tr);
  }
}
let timer = null;
async function refresh() {
  clearTimeout(timer);
  let busy = false;
  try {
    const r = await fetch("/api/analyses", { headers: authHeaders() });
    if (r.status === 401) {
      tbody.replaceChildren();
      const tr = document.createElement("tr");
      cell(tr, "Enter the API token to see the analyses.", "empty").colSpan = 7;
      tbody.appendChild(tr);
    } else if (r.ok) {
      const body = await r.json();
      render(body.analyses);
      busy = body.analyses.some((a) => a.status === "queued" || a.status === "running");
    }
  } catch (err) {
    say("The server does not answer: " + err.message, true);
  }
  // Poll quickly while something is in progress, slowly otherwise.
  timer = setTimeout(refresh, busy ? 1500 : 10000);
}
refresh();
</script>
</body>
</html>
`;
}
