/**
 * Where mail goes: SMTP (nodemailer, from SMTP_URL: implicit TLS with smtps://, STARTTLS with
 * smtp://, required when the URL carries a password), or — with no SMTP_URL — `.eml` files in
 * the outbox folder, so the embedded default needs no mail server. Every SMTP wait is bounded
 * (email.smtp.*TimeoutMs). Transient failures are retried with backoff; a permanent refusal,
 * a TLS problem or a timeout is returned at once with a line saying what to do.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import { parseConnectionUrl } from "nodemailer/lib/shared/index.js";
import type { SmtpConfig } from "../config/sections/email.ts";
import { redactUrl } from "../config/redact.ts";
import { errorMessage } from "../shared/errors.ts";
import { asStorageError, writeFileAtomic } from "../shared/storage.ts";
import type { WeeklyMessage } from "./weekly-message.ts";

export interface SendResult {
  ok: boolean;
  attempts: number;
  messageId: string | null;
  /** The outbox file, for the outbox transport. */
  location: string | null;
  /** The server's reply or the error, on failure (credentials removed). */
  error?: string;
}

export interface MailTransport {
  readonly kind: "smtp" | "outbox";
  /** Where mail goes, safe to print. */
  readonly description: string;
  /**
   * Sends one message. SMTP problems are returned (`ok: false`); throws only for what no
   * retry can fix here, e.g. a StorageError when the outbox cannot be written.
   */
  send(message: WeeklyMessage, fileStem: string): Promise<SendResult>;
  close(): void;
}

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const defaultRetry: RetryOptions = {
  attempts: 4,
  baseDelayMs: 2_000,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export interface MailTransportOptions {
  smtpUrl: string | undefined;
  smtp: SmtpConfig;
  /** Where `.eml` files go without SMTP_URL. */
  outboxDir: string;
  retry?: RetryOptions;
}

/** The SMTP transport for SMTP_URL, or the outbox. Throws nothing; problems surface on send. */
export function createMailTransport(options: MailTransportOptions): MailTransport {
  return options.smtpUrl
    ? smtpTransport(options.smtpUrl, options.smtp, options.retry ?? defaultRetry)
    : outboxTransport(options.outboxDir);
}

/** The opt-out in the URL: `smtp://user:pass@host:587?allowInsecureAuth=true`. */
const URL_OPT_OUT = "allowInsecureAuth";

/**
 * Whether an SMTP_URL must use TLS before it sends its password: yes for an authenticated
 * smtp:// URL unless the config or the URL opts out (smtps:// is TLS from the first byte).
 */
export function requiresStartTls(smtpUrl: string, smtp: SmtpConfig): boolean {
  const url = new URL(smtpUrl);
  const optedOut = smtp.allowInsecureAuth || url.searchParams.get(URL_OPT_OUT) === "true";
  return url.protocol === "smtp:" && url.username !== "" && !optedOut;
}

function smtpTransport(smtpUrl: string, smtp: SmtpConfig, retry: RetryOptions): MailTransport {
  const url = new URL(smtpUrl);
  url.searchParams.delete(URL_OPT_OUT);
  const requireTLS = requiresStartTls(smtpUrl, smtp);
  // nodemailer ignores every other option when given a URL, so the URL is parsed here; its
  // query parameters (e.g. tls.rejectUnauthorized) are explicit and win over these defaults.
  const transporter = nodemailer.createTransport({
    requireTLS,
    connectionTimeout: smtp.connectionTimeoutMs,
    greetingTimeout: smtp.greetingTimeoutMs,
    socketTimeout: smtp.socketTimeoutMs,
    ...parseConnectionUrl(url.toString()),
  });
  const password = safeDecode(url.password);
  const clean = (text: string) => (password ? text.split(password).join("***") : text);
  const server = `${url.hostname}:${url.port || (url.protocol === "smtps:" ? 465 : 587)}`;
  return {
    kind: "smtp",
    description: redactUrl(smtpUrl),
    async send(message) {
      let attempts = 0;
      for (;;) {
        attempts += 1;
        try {
          const info = (await transporter.sendMail(message)) as { messageId?: string };
          return { ok: true, attempts, messageId: info.messageId ?? null, location: null };
        } catch (error) {
          const failure = classify(error as SmtpError, { server, smtp, requireTLS });
          if (failure.final || attempts >= retry.attempts) {
            return {
              ok: false,
              attempts,
              messageId: null,
              location: null,
              error: clean(failure.message),
            };
          }
          await retry.sleep(retry.baseDelayMs * 2 ** (attempts - 1) * (0.5 + Math.random() / 2));
        }
      }
    },
    close: () => transporter.close(),
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

interface SmtpError {
  responseCode?: number;
  response?: string;
  message?: string;
  code?: string;
  command?: string;
}

/** What an SMTP failure means: the line to record, and whether trying again now could help. */
function classify(
  e: SmtpError,
  context: { server: string; smtp: SmtpConfig; requireTLS: boolean },
): { message: string; final: boolean } {
  const reply = e.response ?? e.message ?? errorMessage(e);
  const { server, smtp } = context;
  if (e.code === "ETLS" && context.requireTLS && e.command === "STARTTLS") {
    return {
      final: true,
      message: `SMTP server ${server} does not offer STARTTLS, so the password in SMTP_URL would be sent in the clear; nothing was sent. Use smtps:// or a server with STARTTLS in SMTP_URL, or opt out with email.smtp.allowInsecureAuth: true in the config file (or ?${URL_OPT_OUT}=true in SMTP_URL)`,
    };
  }
  if (e.code === "ETLS") {
    return {
      final: true,
      message: `TLS with SMTP server ${server} failed: ${reply}; check the server's certificate and the SMTP_URL scheme (smtps:// for implicit TLS, smtp:// for STARTTLS)`,
    };
  }
  if (e.code === "ETIMEDOUT") {
    const which =
      e.message === "Connection timeout"
        ? `connect within email.smtp.connectionTimeoutMs (${smtp.connectionTimeoutMs} ms)`
        : e.message === "Greeting never received"
          ? `send its greeting within email.smtp.greetingTimeoutMs (${smtp.greetingTimeoutMs} ms)`
          : `answer within email.smtp.socketTimeoutMs (${smtp.socketTimeoutMs} ms)`;
    // Not retried now: a server that went silent after DATA may still deliver the message,
    // and a second copy is worse than a send the next run retries.
    return {
      final: true,
      message: `SMTP server ${server} did not ${which}; recorded as failed, the next \`reclaim email\` retries it`,
    };
  }
  const permanent = e.responseCode !== undefined && e.responseCode >= 500;
  return { final: permanent || e.code === "EAUTH", message: reply };
}

function outboxTransport(outboxDir: string): MailTransport {
  const transporter = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: "unix",
  });
  return {
    kind: "outbox",
    description: `the outbox folder ${outboxDir}`,
    async send(message, fileStem) {
      const info = (await transporter.sendMail(message)) as { message: Buffer; messageId?: string };
      const file = path.join(outboxDir, `${fileStem.replace(/[^A-Za-z0-9._@-]+/g, "_")}.eml`);
      try {
        await mkdir(outboxDir, { recursive: true });
        await writeFileAtomic(file, info.message);
      } catch (error) {
        throw asStorageError(error, {
          what: "the email to the outbox",
          folder: outboxDir,
          setting: "RECLAIM_REPORTS_DIR (or --reports-dir; the outbox is its outbox/ folder)",
        });
      }
      return {
        ok: true,
        attempts: 1,
        messageId: info.messageId ?? null,
        location: path.resolve(file),
      };
    },
    close: () => transporter.close(),
  };
}
