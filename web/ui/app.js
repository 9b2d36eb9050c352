// The web UI of cmd/smtptest: the message list, live; the message view;
// rejections, transcripts and faults. Plain modules, no build step.
import { getJSON, send, el, size, when, arrowTabs, busy } from "./api.js";
import { showMessage, clearView, currentID } from "./view.js";
import { loadRejections, addRejection, loadTranscripts, loadFaults, setupFaults, loadSandboxes, setupSandboxes } from "./panels.js";

const list = document.getElementById("list");
const search = document.getElementById("search");
let items = []; // the list shown, newest first
let selected = null; // the id selected

// Sections (Messages, Rejections, Transcripts, Faults, Sandboxes) are
// tabs; a hidden one (Sandboxes, where there are none to make) is skipped.
const allTabs = [...document.querySelectorAll("#sections [role=tab]")];
const visibleTabs = () => allTabs.filter((t) => !t.hidden);
const tabs = allTabs;
function showSection(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", on);
    t.tabIndex = on ? 0 : -1;
    document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
  }
  if (tab.id === "tab-transcripts") loadTranscripts();
  if (tab.id === "tab-sandboxes") loadSandboxes();
}
for (const t of tabs) {
  t.addEventListener("click", () => showSection(t));
  t.addEventListener("keydown", (e) => arrowTabs(e, visibleTabs(), showSection));
}

// The list.
function row(m) {
  const mark = [];
  if (m.attachments) mark.push(el("span", { title: `${m.attachments} attachment(s)`, class: "att" }, `${m.attachments} file${m.attachments > 1 ? "s" : ""}`));
  if (m.problems) {
    mark.push(el("span", { class: `lint ${m.errors ? "error" : "warning"}`, title: `${m.problems} lint problem(s), ${m.errors} error(s)` },
      `${m.problems} lint`));
  }
  if (m.dkim) mark.push(el("span", { class: `dkim-${m.dkim}`, title: `DKIM ${m.dkim}` }, m.dkim === "verified" ? "DKIM ✓" : "DKIM ✗"));
  for (const t of m.tags || []) mark.push(el("span", { class: "tag", title: `tag ${t}` }, t));
  return el("li", {
    role: "option", "data-id": m.id, id: `msg-${m.id}`, class: m.read ? "" : "unread",
    "aria-selected": m.id === selected ? "true" : "false",
    onclick: () => select(m.id, true),
  },
  el("span", { class: "from" }, m.from || "(no From)"),
  el("span", { class: "meta" }, el("time", { datetime: m.received }, when(m.received))),
  el("span", { class: "subject" }, m.subject || "(no subject)"),
  el("span", { class: "meta" }, size(m.size), " ", mark),
  el("span", { class: "to" }, "to ", m.to || "(no To)"));
}

function render() {
  list.replaceChildren(...items.map(row));
  counts();
}

function counts() {
  document.getElementById("shown").textContent = search.value.trim()
    ? `${items.length} matching` : `${items.length} message(s)`;
  document.getElementById("count").textContent = items.length || "";
}

// soon reloads the list once for a burst of events.
let soonTimer;
function soon() {
  clearTimeout(soonTimer);
  soonTimer = setTimeout(reload, 100);
}

// The list is loaded whole (at start, on a search, on a resync) and kept
// current by the event stream in between. Loads overlap events and each
// other, and their answers may come back in any order: only the newest
// load is applied, and the events that came while it was under way are
// applied again on top of it (both kinds are idempotent), so a message
// deleted meanwhile never comes back and one that arrived is never lost.
let loads = 0; // the newest load's number
let journal = null; // the events since the newest load began; null when none is under way

async function reload() {
  const my = ++loads;
  journal = [];
  busy(list, 1);
  const q = search.value.trim();
  try {
    const got = await getJSON("api/ui/messages" + (q ? "?query=" + encodeURIComponent(q) : ""));
    if (my !== loads) return; // a newer load is under way: its answer counts
    items = got;
    for (const ev of journal) ev();
    render();
    if (selected !== null && !items.some((m) => m.id === selected)) selected = null;
  } finally {
    if (my === loads) journal = null;
    busy(list, -1);
  }
}

// applyLive applies an event to the list now, and again after the load under
// way; it returns what apply returned now.
function applyLive(apply) {
  if (journal) journal.push(apply);
  return apply();
}

// added puts a new message at the top of the list, unless it is there.
function added(m) {
  if (items.some((x) => x.id === m.id)) return false;
  items.unshift(m);
  return true;
}

async function select(id, open) {
  selected = id;
  for (const li of list.children) li.setAttribute("aria-selected", li.dataset.id === String(id) ? "true" : "false");
  const li = document.getElementById(`msg-${id}`);
  if (li) {
    li.scrollIntoView({ block: "nearest" });
    li.classList.remove("unread");
  }
  if (open) await showMessage(id, deleteMessage);
}

async function deleteMessage(id) {
  await send("DELETE", "api/v1/messages", { IDs: [String(id)] });
}

document.getElementById("delete-all").addEventListener("click", async () => {
  if (items.length && confirm(`Delete all ${items.length} message(s)?`)) await send("DELETE", "api/v1/messages");
});

// Keys: ↑ ↓ (or k j) move, Enter opens, Delete deletes, / searches.
list.addEventListener("keydown", (e) => {
  const i = items.findIndex((m) => m.id === selected);
  let to = null;
  if (e.key === "ArrowDown" || e.key === "j") to = Math.min(i + 1, items.length - 1);
  else if (e.key === "ArrowUp" || e.key === "k") to = Math.max(i - 1, 0);
  else if (e.key === "Home") to = 0;
  else if (e.key === "End") to = items.length - 1;
  else if (e.key === "Enter" && selected !== null) { e.preventDefault(); select(selected, true); return; }
  else if (e.key === "Delete" && selected !== null) { e.preventDefault(); deleteMessage(selected); return; }
  else return;
  e.preventDefault();
  if (items.length) select(items[Math.max(to, 0)].id, false);
});
list.addEventListener("focus", () => { if (selected === null && items.length) select(items[0].id, false); });
document.addEventListener("keydown", (e) => {
  if (e.key === "/" && !["INPUT", "TEXTAREA"].includes(document.activeElement.tagName)) {
    e.preventDefault();
    showSection(tabs[0]);
    search.focus();
  }
});
let searchTimer;
search.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(reload, 150); });
document.getElementById("search-form").addEventListener("submit", (e) => { e.preventDefault(); reload(); });

// Live: the server's event stream.
function connect() {
  const live = document.getElementById("live");
  const es = new EventSource("api/ui/stream");
  let first = true;
  es.addEventListener("hello", () => {
    live.textContent = "live";
    live.classList.add("on");
    if (!first) reloadAll(); // reconnected: what happened meanwhile
    first = false;
  });
  es.addEventListener("resync", reloadAll);
  es.addEventListener("message", (e) => {
    const m = JSON.parse(e.data);
    if (search.value.trim()) { soon(); return; } // does it match? the server says
    if (!applyLive(() => added(m))) return;
    list.prepend(row(m)); // one row, not the whole list: mail comes in bursts
    counts();
  });
  es.addEventListener("deleted", (e) => {
    const d = JSON.parse(e.data);
    const gone = (id) => d.all || d.ids.includes(id);
    applyLive(() => { items = items.filter((m) => !gone(m.id)); });
    for (const li of [...list.children]) if (gone(Number(li.dataset.id))) li.remove();
    counts();
    if (currentID() !== null && gone(currentID())) clearView();
    if (selected !== null && gone(selected)) selected = null;
  });
  es.addEventListener("rejection", (e) => addRejection(JSON.parse(e.data)));
  es.addEventListener("connection", () => { if (!document.getElementById("transcripts").hidden) loadTranscripts(); });
  es.addEventListener("faults", loadFaults);
  es.addEventListener("tags", soon); // set, renamed or deleted through Mailpit's API
  es.onerror = () => { live.textContent = "reconnecting…"; live.classList.remove("on"); };
}

async function reloadAll() {
  await Promise.all([reload(), loadRejections(), loadFaults()]);
}

async function start() {
  const s = await getJSON("api/ui/server");
  document.getElementById("server").textContent = `SMTP ${s.addr}`;
  document.getElementById("seed").textContent = s.seed;
  setupFaults();
  await reloadAll();
  connect();
  if (await loadSandboxes()) {
    document.getElementById("tab-sandboxes").hidden = false;
    setupSandboxes();
  }
}
start();
