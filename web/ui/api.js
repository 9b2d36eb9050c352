// Talking to the server, and building DOM. Everything that comes from a
// message goes into the page as text (textContent), never as HTML: the
// message's own HTML is shown only in the sandboxed frame.

// getJSON fetches a path of the API and decodes its JSON.
export async function getJSON(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(await errorOf(r));
  return r.json();
}

// getText fetches a path as text.
export async function getText(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(await errorOf(r));
  return r.text();
}

// send makes a request that changes something; body is sent as it is (a
// string) or as JSON. It returns the response's text.
export async function send(method, path, body) {
  const init = { method };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers = { "Content-Type": typeof body === "string" ? "text/plain" : "application/json" };
  }
  const r = await fetch(path, init);
  if (!r.ok) throw new Error(await errorOf(r));
  return r.text();
}

// errorOf is what went wrong, from an error response: our API's
// {"error": ...}, or Mailpit's plain text.
async function errorOf(r) {
  const text = await r.text();
  try {
    return JSON.parse(text).error || text;
  } catch {
    return text || `${r.status} ${r.statusText}`;
  }
}

// busy counts loads under way on e, which is aria-busy while there are any:
// busy(e, 1) when one starts, busy(e, -1) when it ends.
export function busy(e, delta) {
  const n = (Number(e.dataset.loads) || 0) + delta;
  e.dataset.loads = n;
  if (n > 0) e.setAttribute("aria-busy", "true");
  else e.removeAttribute("aria-busy");
}

// el makes an element: el("li", {class: "x", onclick: f}, "text", child).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// size says a byte count for a person.
export function size(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

// when says a time for a person: the time today, the date otherwise.
export function when(iso) {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

// arrowTabs moves between tabs with the arrow keys, Home and End.
export function arrowTabs(e, all, show) {
  const i = all.indexOf(e.currentTarget);
  const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: all.length - 1 }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  const t = all[(to + all.length) % all.length];
  t.focus();
  show(t);
}
