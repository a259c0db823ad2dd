/**
 * A real SMTP server in-process (the `smtp-server` package) that keeps what it receives,
 * parsed with mailparser. It can refuse messages to test retries and permanent failures.
 */
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface TestSmtpServer {
  url: string;
  port: number;
  received: { envelopeTo: string[]; raw: Buffer; mail: ParsedMail }[];
  /** Refuse the next N messages with this reply code (e.g. 451 transient, 550 permanent). */
  refuseNext(count: number, code: number, message?: string): void;
  close(): Promise<void>;
}

export async function startSmtpServer(
  options: { user?: string; password?: string } = {},
): Promise<TestSmtpServer> {
  const received: TestSmtpServer["received"] = [];
  let refusals = { count: 0, code: 0, message: "" };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: options.user ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    authOptional: !options.user,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.password) {
        callback(null, { user: auth.username });
      } else {
        callback(new Error("535 Authentication failed"));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (refusals.count > 0) {
          refusals.count -= 1;
          const error = new Error(refusals.message) as Error & { responseCode: number };
          error.responseCode = refusals.code;
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw, { keepCidLinks: true })
          .then((mail) => {
            received.push({
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              raw,
              mail,
            });
            callback();
          })
          .catch((e: unknown) => callback(e as Error));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  const auth = options.user
    ? `${encodeURIComponent(options.user)}:${encodeURIComponent(options.password ?? "")}@`
    : "";
  return {
    url: `smtp://${auth}127.0.0.1:${port}`,
    port,
    received,
    refuseNext(count, code, message = `${code} refused by test server`) {
      refusals = { count, code, message };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
