// The message view: the envelope, and tabs for the HTML (sandboxed), the
// text, headers, source (lint problems marked), attachments, links, mail
// client support (caniemail), transcript, lint and DKIM.
import { getJSON, getText, send, el, size, when, arrowTabs, busy } from "./api.js";

const view = document.getElementById("view");
// Opening messages quickly, or deleting one while it opens, makes answers
// cross: only the newest opening is shown, and clearing the view drops
// the one under way.
let wanted = null; // the id shown, or being opened
let openings = 0; // the newest opening's number

// currentID is the message shown or being opened, or null.
export function currentID() { return wanted; }

export function clearView() {
  wanted = null;
  openings++;
  view.replaceChildren(el("p", { class: "empty" }, "Select a message (↑ ↓ or j k, Enter)."));
}

export async function showMessage(id, onDelete) {
  const my = ++openings;
  wanted = id;
  let m;
  busy(view, 1);
  try {
    m = await getJSON(`api/ui/messages/${id}`);
  } catch (err) {
    if (my === openings) view.replaceChildren(el("p", { class: "error" }, String(err.message)));
    return;
  } finally {
    busy(view, -1);
  }
  if (my !== openings) return;
  const panel = el("div", { class: "tabpanel", role: "tabpanel", id: "message-panel" });
  const names = ["HTML", "Text", "Headers", "Source", "Attachments", "Links", "Clients", "Transcript", "Lint", "DKIM"];
  const count = { Attachments: m.attachments.length, Links: m.links.length, Lint: m.problems.length, DKIM: m.dkim.length };
  const buttons = names.map((n) => el("button", {
    role: "tab", id: `tab-${n.toLowerCase()}`, "aria-controls": "message-panel", "aria-selected": "false", tabindex: -1, type: "button",
  }, n, count[n] ? ` (${count[n]})` : ""));
  const open = (b) => {
    for (const x of buttons) { x.setAttribute("aria-selected", x === b); x.tabIndex = x === b ? 0 : -1; }
    // A tab that loads (Source, Transcript) fills its own box: if another
    // tab is opened meanwhile, it fills a box no longer shown.
    const box = el("div");
    panel.replaceChildren(box);
    const loading = tabs[b.textContent.split(" ")[0]](m, box);
    if (loading) {
      busy(panel, 1);
      loading.catch((err) => box.replaceChildren(el("p", { class: "error" }, String(err.message))))
        .finally(() => busy(panel, -1));
    }
  };
  for (const b of buttons) {
    b.addEventListener("click", () => open(b));
    b.addEventListener("keydown", (e) => arrowTabs(e, buttons, open));
  }
  const envelope = el("dl", { class: "envelope" },
    el("dt", {}, "From"), el("dd", {}, header(m, "From") || `<${m.from}>`),
    el("dt", {}, "To"), el("dd", {}, header(m, "To") || m.to.join(", ")),
    el("dt", {}, "Envelope"), el("dd", {}, `<${m.from}> → ${m.to.map((t) => `<${t}>`).join(", ")}`),
    el("dt", {}, "Received"), el("dd", {}, when(m.received), ` over conn ${m.conn}`, m.tls ? `, ${m.tls}` : "", m.auth_user ? `, as ${m.auth_user}${m.auth_mech ? ` (${m.auth_mech})` : ""}` : ""),
    el("dt", {}, "Size"), el("dd", {}, size(m.size)));
  const actions = el("div", { class: "actions" },
    el("a", { href: `api/messages/${id}/raw`, download: `${id}.eml` }, "Download .eml"),
    el("button", { type: "button", id: "delete-message", onclick: () => onDelete(id) }, "Delete"));
  view.replaceChildren(el("h2", { id: "subject" }, m.subject || "(no subject)"), envelope, actions,
    el("div", { class: "tabs", role: "tablist", "aria-label": "Message" }, buttons), panel);
  open(m.has_html ? buttons[0] : buttons[1]);
}

function header(m, name) {
  const v = m.headers[name];
  return v ? v.join(", ") : "";
}

const tabs = {
  HTML(m, panel) {
    if (!m.has_html) { panel.append(el("p", { class: "empty" }, "This message has no HTML body.")); return; }
    const src = `api/ui/messages/${m.id}/render`;
    // No allow-scripts, no allow-same-origin: the mail's HTML runs
    // nothing and reaches nothing of this page. Its remote content is
    // blocked (by the frame's Content-Security-Policy) until asked for.
    const frame = el("iframe", { class: "html", id: "html-frame", title: "The message's HTML", sandbox: "allow-popups allow-popups-to-escape-sandbox", referrerpolicy: "no-referrer", src });
    const remote = el("input", { type: "checkbox", id: "remote" });
    remote.addEventListener("change", () => { frame.src = remote.checked ? src + "?remote=1" : src; });
    panel.append(el("p", { class: "actions" }, el("label", {}, remote, " Load remote content (images, fonts, styles from the network)")), frame);
  },
  Text(m, panel) {
    panel.append(m.text === null ? el("p", { class: "empty" }, "This message has no text body.") : el("pre", { id: "text" }, m.text));
  },
  Headers(m, panel) {
    const rows = Object.entries(m.headers).sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([k, vs]) => vs.map((v) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
    panel.append(el("table", { class: "grid" }, el("tbody", {}, rows)));
  },
  async Source(m, panel) {
    const raw = await getText(`api/messages/${m.id}/raw`);
    const byLine = new Map();
    for (const p of m.problems) if (p.line) byLine.set(p.line, [...(byLine.get(p.line) || []), p]);
    const lines = raw.split("\n");
    if (lines.at(-1) === "") lines.pop();
    panel.append(el("ol", { class: "source", id: "source" }, lines.map((line, i) => {
      const ps = byLine.get(i + 1);
      const cls = ps ? `problem ${ps.some((p) => p.severity === "error") ? "error" : "warning"}` : "";
      return el("li", { class: cls, title: ps ? ps.map((p) => `${p.rule}: ${p.text}`).join("\n") : null }, line.replace(/\r$/, ""));
    })));
  },
  Attachments(m, panel) {
    if (!m.attachments.length) { panel.append(el("p", { class: "empty" }, "No attachments.")); return; }
    panel.append(el("table", { class: "grid", id: "attachments" }, el("tbody", {}, m.attachments.map((a, i) => el("tr", {},
      el("td", {}, el("a", { href: `api/messages/${m.id}/attachments/${i + 1}`, download: a.filename || `attachment-${i + 1}` }, a.filename || `(unnamed ${i + 1})`)),
      el("td", {}, a.content_type), el("td", {}, size(a.size)), el("td", {}, a.disposition || ""))))));
  },
  Links(m, panel) {
    if (!m.links.length) { panel.append(el("p", { class: "empty" }, "No links.")); return; }
    panel.append(el("table", { class: "grid", id: "links" }, el("tbody", {}, m.links.map((url) => {
      const result = el("td", { class: "result" });
      const check = el("button", { type: "button", onclick: async () => {
        result.textContent = "checking…";
        result.className = "result";
        try {
          const r = JSON.parse(await send("POST", `api/ui/messages/${m.id}/links/check`, { url }));
          result.textContent = r.error ? r.error : r.text + (r.method === "GET" ? " (by GET: HEAD was refused)" : "");
          result.className = "result " + (r.error || r.status >= 400 ? "error" : "ok");
        } catch (err) {
          result.textContent = err.message;
          result.className = "result error";
        }
      } }, "Check");
      const cell = /^https?:/.test(url) ? check : "";
      return el("tr", {}, el("td", {}, url), el("td", {}, cell), result);
    }))));
  },
  async Clients(m, panel) {
    if (!m.has_html) { panel.append(el("p", { class: "empty" }, "This message has no HTML body.")); return; }
    const check = await getJSON(`api/v1/message/${m.id}/html-check`);
    // For each feature, the clients whose newest version tested lacks it.
    const rows = [];
    for (const w of check.Warnings) {
      const newest = new Map();
      for (const r of w.Results) newest.set(`${r.Family}.${r.Platform}`, r); // oldest first: the last stays
      const no = [], partly = [];
      for (const r of newest.values()) {
        const name = r.Name.replace(/ \(.*\)$/, "");
        if (r.Support === "no") no.push(name); else if (r.Support === "partial") partly.push(name);
      }
      if (!no.length && !partly.length) continue;
      rows.push(el("tr", {},
        el("td", {}, el("a", { href: w.URL, target: "_blank", rel: "noopener noreferrer" }, w.Title)),
        el("td", {}, `${w.Score.Found}×`),
        el("td", { class: no.length ? "error" : "warning" }, no.length ? `not in ${no.join(", ")}` : ""),
        el("td", { class: "warning" }, partly.length ? `in part in ${partly.join(", ")}` : "")));
    }
    panel.append(el("p", { class: "muted" }, `${check.Total.Tests} feature(s) used; supported ${check.Total.Supported.toFixed(0)}%, in part ${check.Total.Partial.toFixed(0)}%, not ${check.Total.Unsupported.toFixed(0)}% (caniemail data, as Mailpit scores it)`));
    if (!rows.length) { panel.append(el("p", { class: "ok" }, "Every feature the HTML uses is supported by every client tested.")); return; }
    panel.append(el("table", { class: "grid", id: "clients" }, el("tbody", {}, rows)));
  },
  async Transcript(m, panel) {
    panel.append(el("pre", { class: "transcript", id: "message-transcript" }, await getText(`api/ui/messages/${m.id}/transcript`)));
  },
  Lint(m, panel) {
    if (!m.problems.length) { panel.append(el("p", { class: "ok" }, "No problems: the message is well formed.")); return; }
    panel.append(el("table", { class: "grid", id: "lint" }, el("tbody", {}, m.problems.map((p) => el("tr", {},
      el("td", { class: p.severity }, p.severity), el("td", {}, el("code", {}, p.rule)), el("td", {}, p.line ? `line ${p.line}` : ""),
      el("td", {}, p.text), el("td", { class: "muted" }, p.ref))))));
  },
  DKIM(m, panel) {
    if (!m.dkim.length) { panel.append(el("p", { class: "empty" }, "No DKIM signature.")); return; }
    panel.append(el("table", { class: "grid", id: "dkim" }, el("tbody", {}, m.dkim.map((d) => el("tr", {},
      el("td", { class: d.verified ? "ok" : "error" }, d.verified ? "verified" : "failed"),
      el("td", {}, `d=${d.domain} s=${d.selector}`), el("td", {}, `${d.algorithm} ${d.canonicalization}`),
      el("td", {}, `aligned: ${d.aligned}`), el("td", {}, `h=${d.header_keys.join(":")}`),
      el("td", {}, (d.error || (d.unsigned_body ? `l= leaves ${d.unsigned_body} octets unsigned` : "")) +
        (d.missing && d.missing.length ? `; h= names fields the header lacks: ${d.missing.map((k) => JSON.stringify(k)).join(", ")}` : "")))))));
  },
};
