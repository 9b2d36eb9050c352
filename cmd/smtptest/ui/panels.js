// Rejections, transcripts and faults.
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

export async function loadRejections() {
  const all = await getJSON("/api/rejections");
  rejections.replaceChildren(...all.reverse().map(rejectionRow));
  countRejections(all.length);
}

export function addRejection(r) {
  rejections.prepend(rejectionRow(r));
  countRejections(rejectionCount + 1);
}

let transcriptTimer;
export function loadTranscripts() {
  // Connections close by the hundred under load: one fetch at a time.
  clearTimeout(transcriptTimer);
  transcriptTimer = setTimeout(async () => {
    document.getElementById("transcript").textContent = await getText("/api/transcript");
  }, 100);
}

const faults = document.getElementById("fault-list");

export async function loadFaults() {
  const all = await getJSON("/api/faults");
  faults.replaceChildren(...all.map((f) => el("li", {},
    el("code", {}, f.spec),
    el("button", { type: "button", "aria-label": `Remove fault ${f.spec}`, onclick: () => send("DELETE", `/api/faults/${f.id}`) }, "Remove"))));
  document.getElementById("fault-count").textContent = all.length || "";
}

export function setupFaults() {
  const form = document.getElementById("fault-form");
  const spec = document.getElementById("fault-spec");
  const error = document.getElementById("fault-error");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    try {
      await send("POST", "/api/faults", spec.value);
      spec.value = "";
    } catch (err) {
      error.textContent = err.message; // the parser's own words
    }
  });
  document.getElementById("clear-faults").addEventListener("click", () => send("DELETE", "/api/faults"));
}
