// send delivers one message to the SMTP server at addr ("host:port") and
// resolves to "250", or to the reply of the first command refused. The
// interop scripts' SMTP client: plain commands, one at a time.
import net from "node:net";

export function send(addr, from, to, data) {
  const at = addr.lastIndexOf(":");
  const [host, port] = [addr.slice(0, at), Number(addr.slice(at + 1))];
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host);
    const script = [null, "EHLO node.example", `MAIL FROM:<${from}>`, `RCPT TO:<${to}>`, "DATA", data.replace(/\r?\n/g, "\r\n").replace(/\r\n$/, "") + "\r\n.", "QUIT"];
    let step = 0, buf = "";
    sock.setEncoding("utf8");
    sock.on("data", (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 2);
        if (line[3] === "-") continue; // more lines of this reply
        const code = Number(line.slice(0, 3));
        if (code >= 400 && step < 6) { sock.end("QUIT\r\n"); resolve(line); return; }
        step++;
        if (step < script.length) sock.write(script[step] + "\r\n");
        else { sock.end(); resolve("250"); }
      }
    });
    sock.on("error", reject);
  });
}
