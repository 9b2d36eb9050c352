// Two tests of another language's suite, each with a sandbox of its own,
// running at once: npm mailpit-api, unmodified, pointed at each sandbox's
// base URL. Neither sees the other's mail, faults or refusals. Run by
// interop's TestMailpitClientSandboxes, which starts cmd/smtptest and
// sets MAILPIT_URL (its top level).
import assert from "node:assert/strict";
import { MailpitClient } from "mailpit-api";
import { send } from "./smtp.mjs";

const top = process.env.MAILPIT_URL;

// sandbox makes a sandbox with options, as a test's setup would.
async function sandbox(options) {
  const r = await fetch(`${top}/api/sandboxes`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(options) });
  assert.equal(r.status, 201, await r.clone().text());
  return r.json();
}

const mail = (subject, to) => `From: App <app@example.com>\nTo: ${to}\nSubject: ${subject}\nDate: Fri, 04 Dec 2026 10:00:00 +0000\nMessage-ID: <${subject.replace(/\W/g, "")}@example.com>\n\nHello.\n`;

// One test: its own sandbox, its own mail, its own faults; what it
// checks would fail if another test's mail or faults leaked in.
async function suite(name, options, expectRefusal) {
  const sb = await sandbox(options);
  const mailpit = new MailpitClient(sb.base_url);
  try {
    assert.equal((await mailpit.getInfo()).Messages, 0, `${name}: a new sandbox is empty`);
    for (let i = 1; i <= 5; i++) {
      assert.equal(await send(sb.smtp, "app@example.com", "ann@example.org", mail(`${name} ${i}`, "ann@example.org")), "250");
    }
    const bad = await send(sb.smtp, "app@example.com", "eve@bad.example", mail(`${name} bad`, "eve@bad.example"));
    if (expectRefusal) assert.match(bad, /^550 5\.1\.1 /, `${name}: its fault`);
    else assert.equal(bad, "250", `${name}: the other's fault is not its`);
    const found = await mailpit.waitForMessages({ query: `subject:"${name}"`, count: expectRefusal ? 5 : 6 }, { timeout: 10000, interval: 20 });
    const list = await mailpit.listMessages();
    assert.equal(list.total, expectRefusal ? 5 : 6, `${name}: its own mail alone`);
    assert.ok(list.messages.every((m) => m.Subject.startsWith(name)), `${name}: ${list.messages.map((m) => m.Subject)}`);
    assert.equal(found.messages_count, list.total);
    const chaos = await mailpit.getChaosTriggers();
    assert.equal(chaos.Recipient.Probability, 0, `${name}: no chaos of the other's`);
    await mailpit.deleteMessages(); // clears its inbox, and nobody else's
    assert.equal((await mailpit.listMessages()).total, 0);
    const rej = await (await fetch(`${sb.base_url}/api/rejections`)).json();
    assert.equal(rej.length, expectRefusal ? 1 : 0, `${name}: its refusals alone`);
  } finally {
    const r = await fetch(`${top}/api/sandboxes/${sb.id}`, { method: "DELETE" });
    assert.equal(r.status, 204);
  }
  return sb.id;
}

const ids = await Promise.all([
  suite("Signup", { faults: ["rcpt *@bad.example reply 550 5.1.1 No such user"], ttl: "5m" }, true),
  suite("Reset", {}, false),
]);
assert.notEqual(ids[0], ids[1]);
const left = await (await fetch(`${top}/api/sandboxes`)).json();
assert.deepEqual(left, [], "both deleted");
const topInfo = await new MailpitClient(top).getInfo();
assert.equal(topInfo.Messages, 0, "nothing reached the top level");
console.log(`ok: 2 sandboxes in parallel (${ids.join(", ")})`);
