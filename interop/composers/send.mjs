// nodemailer composes the interop message and sends it over SMTP
// (interop's TestNodemailer runs it): node send.mjs host port subject text html image attachment name
import { readFileSync } from "node:fs";
import nodemailer from "nodemailer";

const [host, port, subject, text, html, image, attachment, name] = process.argv.slice(2);
const transport = nodemailer.createTransport({ host, port: Number(port), secure: false, ignoreTLS: true, name: "nodemailer.example" });
await transport.sendMail({
  from: "sender@example.com",
  to: "rcpt@example.org",
  subject,
  text,
  html,
  list: { unsubscribe: { url: "https://example.com/unsubscribe?id=1", comment: "Unsubscribe" } },
  attachments: [
    { filename: "logo.png", content: readFileSync(image), cid: "logo@interop.example" },
    { filename: name, content: readFileSync(attachment), contentType: "application/pdf" },
  ],
});
