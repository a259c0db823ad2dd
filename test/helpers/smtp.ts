/**
 * A real SMTP server in-process (the `smtp-server` package) that keeps what it receives,
 * parsed with mailparser. It can refuse messages (retries, permanent failures), take a
 * message's DATA and never answer (timeouts, a sender killed mid-send), offer STARTTLS or
 * not, and counts the AUTH attempts that reached it.
 */
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface TestSmtpServer {
  url: string;
  port: number;
  received: { envelopeTo: string[]; raw: Buffer; mail: ParsedMail }[];
  /** AUTH commands that carried credentials to this server. */
  readonly authAttempts: number;
  /** Refuse the next N messages with this reply code (e.g. 451 transient, 550 permanent). */
  refuseNext(count: number, code: number, message?: string): void;
  /** Take the next N messages' DATA and never answer. */
  hangNext(count: number): void;
  /** Resolves once `count` hung messages' DATA has fully arrived (counting from the start). */
  hung(count?: number): Promise<void>;
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  user?: string;
  password?: string;
  /** Offer STARTTLS (smtp-server's self-signed localhost certificate). Default: no. */
  startTls?: boolean;
}

export async function startSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const received: TestSmtpServer["received"] = [];
  let refusals = { count: 0, code: 0, message: "" };
  let hangs = 0;
  let authAttempts = 0;
  let hungCount = 0;
  let hungWaiters: { count: number; wake: () => void }[] = [];
  const disabled = [...(options.startTls ? [] : ["STARTTLS"]), ...(options.user ? [] : ["AUTH"])];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: disabled,
    authOptional: !options.user,
    // The client decides whether a password may go over plain TCP; this server accepts it,
    // as a careless real one would, so a test can see whether the client sent it.
    allowInsecureAuth: true,
    closeTimeout: 200,
    logger: false,
    onAuth(auth, _session, callback) {
      authAttempts += 1;
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
        if (hangs > 0) {
          hangs -= 1;
          hungCount += 1;
          const ready = hungWaiters.filter((w) => hungCount >= w.count);
          hungWaiters = hungWaiters.filter((w) => hungCount < w.count);
          for (const w of ready) w.wake();
          return; // never calls back: the client waits for a reply that never comes
        }
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
    get authAttempts() {
      return authAttempts;
    },
    refuseNext(count, code, message = `${code} refused by test server`) {
      refusals = { count, code, message };
    },
    hangNext(count) {
      hangs = count;
    },
    hung(count = 1) {
      return new Promise<void>((wake) => {
        if (hungCount >= count) wake();
        else hungWaiters.push({ count, wake });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
