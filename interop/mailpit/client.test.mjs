// Drives cmd/smtptest through npm mailpit-api, unmodified: every call a
// Mailpit test suite makes. Run by interop's TestMailpitClient, which
// starts the server and sets MAILPIT_URL and SMTP_ADDR.
import assert from "node:assert/strict";
import { MailpitClient } from "mailpit-api";
import { send as smtpSend } from "./smtp.mjs";

const url = process.env.MAILPIT_URL;
const mailpit = new MailpitClient(url);
let steps = 0;
// step runs one check; a failure names it.
async function step(name, f) {
  try {
    await f();
  } catch (err) {
    err.message = `${name}: ${err.message}`;
    throw err;
  }
  steps++;
}

// send delivers one message to the server under test (see smtp.mjs).
const send = (from, to, data) => smtpSend(process.env.SMTP_ADDR, from, to, data);

const welcome = "From: Ann <ann@example.com>\nTo: bob@example.org\nSubject: Welcome, Bob\nDate: Tue, 01 Dec 2026 10:00:00 +0000\nMessage-ID: <w1@example.com>\n\nHello Bob, verify at https://example.com/v\n";
const news = "From: News <news@example.com>\nTo: ann@example.org\nSubject: News\nDate: Tue, 01 Dec 2026 11:00:00 +0000\nMessage-ID: <n1@example.com>\n" +
  "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>This <b>week</b></p>\n" +
  "--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=report.pdf\n\n%PDF-1.4\n--b--\n";

await step("info", async () => assert.equal((await mailpit.getInfo()).Messages, 0));
assert.equal(await send("ann@example.com", "bob@example.org", welcome), "250");
assert.equal(await send("news@example.com", "ann@example.org", news), "250");

const list = await mailpit.listMessages();
const [newsID, welcomeID] = list.messages.map((m) => m.ID);
await step("list", () => {
  assert.equal(list.total, 2);
  assert.equal(list.messages_count, 2);
  assert.deepEqual(list.messages.map((m) => m.Subject), ["News", "Welcome, Bob"]);
  assert.equal(list.messages[0].Attachments, 1);
  assert.equal(list.messages[1].From.Address, "ann@example.com");
});
await step("pagination", async () => assert.deepEqual((await mailpit.listMessages(1, 1)).messages.map((m) => m.ID), [welcomeID]));
await step("search", async () => assert.deepEqual((await mailpit.searchMessages({ query: "to:bob -has:attachment" })).messages.map((m) => m.ID), [welcomeID]));

const latest = await mailpit.getMessageSummary();
await step("latest", () => {
  assert.equal(latest.ID, newsID);
  assert.match(latest.HTML, /This <b>week<\/b>/);
  assert.equal(latest.Attachments[0].FileName, "report.pdf");
});
await step("by ID", async () => assert.equal((await mailpit.getMessageSummary(welcomeID)).Text.trim(), "Hello Bob, verify at https://example.com/v"));
await step("headers", async () => assert.deepEqual((await mailpit.getMessageHeaders(welcomeID)).Subject, ["Welcome, Bob"]));
await step("raw", async () => assert.equal(await mailpit.getMessageSource(welcomeID), welcome.replace(/\n/g, "\r\n")));
await step("part", async () => {
  const blob = await mailpit.getMessageAttachment(newsID, latest.Attachments[0].PartID);
  assert.equal(blob.type, "application/pdf");
  assert.equal(Buffer.from(await blob.arrayBuffer()).toString(), "%PDF-1.4");
});
await step("html check", async () => {
  const check = await mailpit.htmlCheck(newsID);
  assert.ok(check.Total.Tests > 0 && check.Warnings.some((w) => w.Slug === "html-p" && w.Score.Found === 1), JSON.stringify(check.Total));
  await assert.rejects(mailpit.htmlCheck(welcomeID), /400/); // no HTML
});
await step("view html", async () => assert.match(await mailpit.renderMessageHTML(newsID), /This <b>week<\/b>/));
await step("view text", async () => assert.match(await mailpit.renderMessageText(welcomeID), /verify at/));

// Read status: reading marked both read; set it by ID, by search, for all.
await step("read by GET", async () => assert.equal((await mailpit.listMessages()).unread, 0));
await step("unread by ID", async () => {
  await mailpit.setReadStatus({ IDs: [welcomeID], Read: false });
  assert.deepEqual((await mailpit.searchMessages({ query: "is:unread" })).messages.map((m) => m.ID), [welcomeID]);
});
await step("unread by search", async () => {
  await mailpit.setReadStatus({ Search: "from:news", Read: false });
  assert.equal((await mailpit.listMessages()).unread, 2);
});
await step("all read", async () => {
  await mailpit.setReadStatus({ Read: true });
  assert.equal((await mailpit.listMessages()).unread, 0);
});
await step("tags", async () => {
  assert.deepEqual(await mailpit.getTags(), []);
  await mailpit.setTags({ IDs: [welcomeID], Tags: ["Signup", "urgent"] });
  assert.deepEqual(await mailpit.getTags(), ["Signup", "urgent"]);
  assert.deepEqual((await mailpit.searchMessages({ query: "tag:signup" })).messages.map((m) => m.ID), [welcomeID]);
  assert.deepEqual((await mailpit.getMessageSummary(welcomeID)).Tags, ["Signup", "urgent"]);
  await mailpit.renameTag("Signup", "Welcome");
  await mailpit.deleteTag("urgent");
  assert.deepEqual((await mailpit.listMessages()).messages.find((m) => m.ID === welcomeID).Tags, ["Welcome"]);
  await assert.rejects(mailpit.deleteTag("nope"), /400/);
  await mailpit.setTags({ IDs: [welcomeID] });
  assert.deepEqual(await mailpit.getTags(), []);
});

// Chaos: a Recipient trigger at 100% refuses the next RCPT with its code.
await step("chaos", async () => {
  const set = await mailpit.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 100 } });
  assert.deepEqual(set.Recipient, { ErrorCode: 550, Probability: 100 });
  assert.deepEqual((await mailpit.getChaosTriggers()).Recipient, { ErrorCode: 550, Probability: 100 });
  assert.match(await send("ann@example.com", "bob@example.org", welcome), /^550 .*Chaos recipient error/);
  const reset = await mailpit.setChaosTriggers();
  assert.deepEqual(reset.Recipient, { ErrorCode: 451, Probability: 0 });
  assert.equal(await send("ann@example.com", "bob@example.org", welcome), "250");
});

// The wait helpers (they poll; smtptest's own /api/messages/wait does not).
let laterID;
await step("waitForMessage", async () => {
  setTimeout(() => send("ann@example.com", "bob@example.org", welcome.replace("Welcome, Bob", "Later")), 200);
  const later = await mailpit.waitForMessage({ query: "subject:Later" }, { timeout: 10000, interval: 50 });
  assert.equal(later.Subject, "Later");
  laterID = later.ID;
});
await step("waitForMessages", async () => assert.equal((await mailpit.waitForMessages({ query: "subject:welcome", count: 2 }, { timeout: 10000, interval: 50 })).messages_count, 2));

// Delete by IDs, by search, all.
await step("delete by IDs", async () => {
  await mailpit.deleteMessages({ IDs: [laterID] });
  assert.equal((await mailpit.searchMessages({ query: "subject:Later" })).messages_count, 0);
});
await step("delete by search", async () => {
  await mailpit.deleteMessagesBySearch({ query: "from:news" });
  assert.equal((await mailpit.searchMessages({ query: "from:news" })).messages_count, 0);
});
await step("delete all", async () => {
  await mailpit.deleteMessages();
  assert.equal((await mailpit.listMessages()).total, 0);
  const info = await mailpit.getInfo();
  assert.equal(info.Messages, 0);
  assert.equal(info.RuntimeStats.SMTPAccepted, 4);
});
// An unknown ID is Mailpit's 404, which the client reports as an error.
await step("404", () => assert.rejects(mailpit.getMessageSummary("999"), /404/));
console.log(`ok: ${steps} steps`);
