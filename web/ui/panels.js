// Rejections, transcripts, faults and sandboxes.
import { getJSON, getText, send, el, when } from "./api.js";

const rejections = document.getElementById("rejection-list");
let rejectionCount = 0;

function rejectionRow(r) {
  const reply = r.code ? `${r.code} ${r.enhanced_code || ""} ${r.text || ""}` : "connection dropped";
  return el("tr", {}, el("td", {}, when(r.time)), el("td", {}, r.conn), el("td", {}, r.stage || ""),
    el("td", {}, r.arg || ""), el("td", { class: r.code >= 500 ? "error" : "warning" }, reply));
}

function countRejections(n) {
  rejectionCount = n;
  document.getElementById("rejection-count").textContent = n || "";
}

// Rejections carry no identity, so one that comes while the list is
// loading cannot be told apart from those in the answer: the list is
// loaded again once the burst is over, and the newest answer counts.
let rejectionLoads = 0;
let rejectionsMeanwhile = false;
let rejectionTimer;

export async function loadRejections() {
  const my = ++rejectionLoads;
  rejectionsMeanwhile = false;
  const all = await getJSON("api/rejections");
  if (my !== rejectionLoads) return;
  rejections.replaceChildren(...all.reverse().map(rejectionRow));
  countRejections(all.length);
  if (rejectionsMeanwhile) {
    clearTimeout(rejectionTimer);
    rejectionTimer = setTimeout(loadRejections, 100);
  }
}

export function addRejection(r) {
  rejectionsMeanwhile = true;
  rejections.prepend(rejectionRow(r));
  countRejections(rejectionCount + 1);
}

// newest makes an overlapping loader whose newest call alone is applied,
// whatever order the answers come back in.
function newest(fetch, apply) {
  let n = 0;
  return async () => {
    const my = ++n;
    const got = await fetch();
    if (my === n) apply(got);
  };
}

const fetchTranscripts = newest(() => getText("api/transcript"), (text) => {
  document.getElementById("transcript").textContent = text;
});
let transcriptTimer;
export function loadTranscripts() {
  // Connections close by the hundred under load: one fetch a burst.
  clearTimeout(transcriptTimer);
  transcriptTimer = setTimeout(fetchTranscripts, 100);
}

const faults = document.getElementById("fault-list");

export const loadFaults = newest(() => getJSON("api/faults"), (all) => {
  faults.replaceChildren(...all.map((f) => el("li", {},
    el("code", {}, f.spec),
    el("button", { type: "button", "aria-label": `Remove fault ${f.spec}`, onclick: () => send("DELETE", `api/faults/${f.id}`) }, "Remove"))));
  document.getElementById("fault-count").textContent = all.length || "";
});

export function setupFaults() {
  const form = document.getElementById("fault-form");
  const spec = document.getElementById("fault-spec");
  const error = document.getElementById("fault-error");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    try {
      await send("POST", "api/faults", spec.value);
      spec.value = "";
    } catch (err) {
      error.textContent = err.message; // the parser's own words
    }
  });
  document.getElementById("clear-faults").addEventListener("click", () => send("DELETE", "api/faults"));
}

// Sandboxes: cmd/smtptest's servers made on demand. The top level lists
// them; a page served by a sandbox (or by a server without them) gets
// 404 and shows no tab.
const sandboxes = document.getElementById("sandbox-list");

export async function loadSandboxes() {
  let all;
  try {
    all = await getJSON("api/sandboxes");
  } catch {
    return false;
  }
  sandboxes.replaceChildren(...all.map((s) => el("tr", { "data-id": s.id },
    el("td", {}, el("a", { href: `sandboxes/${s.id}/`, target: "_blank" }, s.id)),
    el("td", {}, el("code", {}, s.smtp)),
    el("td", {}, s.messages),
    el("td", {}, when(s.expires)),
    el("td", {}, el("button", { type: "button", "aria-label": `Delete sandbox ${s.id}`, onclick: async () => {
      await send("DELETE", `api/sandboxes/${s.id}`);
      loadSandboxes();
    } }, "Delete")))));
  document.getElementById("sandbox-count").textContent = all.length || "";
  return true;
}

export function setupSandboxes() {
  const error = document.getElementById("sandbox-error");
  document.getElementById("new-sandbox").addEventListener("click", async () => {
    error.textContent = "";
    try {
      await send("POST", "api/sandboxes", {});
    } catch (err) {
      error.textContent = err.message;
    }
    loadSandboxes();
  });
  document.getElementById("refresh-sandboxes").addEventListener("click", loadSandboxes);
}
