/**
 * Where mail goes: SMTP (nodemailer, from SMTP_URL: STARTTLS when the server offers it,
 * implicit TLS with smtps://, auth from the URL), or — with no SMTP_URL — `.eml` files in
 * the outbox folder, so the embedded default needs no mail server. Transient failures are
 * retried with backoff; a permanent refusal is returned with the server's reply.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import { redactUrl } from "../config/redact.ts";
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

export function createMailTransport(
  smtpUrl: string | undefined,
  outboxDir: string,
  retry: RetryOptions = defaultRetry,
): MailTransport {
  return smtpUrl ? smtpTransport(smtpUrl, retry) : outboxTransport(outboxDir);
}

function smtpTransport(smtpUrl: string, retry: RetryOptions): MailTransport {
  const transporter = nodemailer.createTransport(smtpUrl);
  const password = (() => {
    try {
      return decodeURIComponent(new URL(smtpUrl).password);
    } catch {
      return "";
    }
  })();
  const clean = (text: string) => (password ? text.split(password).join("***") : text);
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
          const e = error as {
            responseCode?: number;
            response?: string;
            message?: string;
            code?: string;
          };
          const reply = clean(e.response ?? e.message ?? String(error));
          const permanent = e.responseCode !== undefined && e.responseCode >= 500;
          const authFailure = e.code === "EAUTH";
          if (permanent || authFailure || attempts >= retry.attempts) {
            return { ok: false, attempts, messageId: null, location: null, error: reply };
          }
          await retry.sleep(retry.baseDelayMs * 2 ** (attempts - 1) * (0.5 + Math.random() / 2));
        }
      }
    },
    close: () => transporter.close(),
  };
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
      await mkdir(outboxDir, { recursive: true });
      const file = path.join(outboxDir, `${fileStem.replace(/[^A-Za-z0-9._@-]+/g, "_")}.eml`);
      await writeFile(file, info.message);
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
