/**
 * The SMTP transport against real servers that misbehave: one that offers no STARTTLS (the
 * password must not be sent unless opted out), one that takes DATA and never answers, and a
 * TCP server that never greets (each wait bounded by email.smtp.*TimeoutMs).
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { smtpSectionSchema, type SmtpConfig } from "../../../src/config/sections/email.ts";
import { createMailTransport, requiresStartTls } from "../../../src/email/transport.ts";
import type { WeeklyMessage } from "../../../src/email/weekly-message.ts";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp.ts";

const PASSWORD = "Plain-Text-Is-Bad-42";
const noWait = { attempts: 4, baseDelayMs: 1, sleep: () => Promise.resolve() };
const defaults = smtpSectionSchema.parse({});

const message: WeeklyMessage = {
  from: "reclaim@example.com",
  to: "admin@example.com",
  subject: "test",
  text: "hello",
  html: "<p>hello</p>",
  attachments: [],
  headers: {},
};

function send(smtpUrl: string, smtp: Partial<SmtpConfig> = {}) {
  const transport = createMailTransport({
    smtpUrl,
    smtp: { ...defaults, ...smtp },
    outboxDir: "unused",
    retry: noWait,
  });
  return transport.send(message, "stem").finally(() => transport.close());
}

describe("SMTP password and TLS", () => {
  let plain: TestSmtpServer;
  beforeAll(async () => {
    plain = await startSmtpServer({ user: "reclaim", password: PASSWORD, startTls: false });
  });
  afterAll(async () => {
    await plain.close();
  });

  it("never sends the password to a server without STARTTLS, and says what to do", async () => {
    const before = plain.authAttempts;
    const result = await send(plain.url);
    expect(result.ok).toBe(false);
    expect(result.attempts).toBe(1); // not retried: no retry can fix it
    expect(plain.authAttempts - before).toBe(0);
    expect(plain.received).toHaveLength(0);
    expect(result.error).toMatch(/does not offer STARTTLS/);
    expect(result.error).toContain("SMTP_URL");
    expect(result.error).toContain("email.smtp.allowInsecureAuth: true");
    expect(result.error).not.toContain(PASSWORD);
    expect(result.error).not.toContain("\n");
  });

  it("sends over plain TCP only when the config or the URL opts out explicitly", async () => {
    const before = plain.authAttempts;
    const viaConfig = await send(plain.url, { allowInsecureAuth: true });
    expect(viaConfig.ok).toBe(true);
    const viaUrl = await send(`${plain.url}?allowInsecureAuth=true`);
    expect(viaUrl.ok).toBe(true);
    expect(plain.authAttempts - before).toBe(2);
    expect(plain.received).toHaveLength(2);
  });

  it("requires TLS only where a password would travel: authenticated smtp:// URLs", () => {
    expect(requiresStartTls("smtp://u:p@mail.example.com:587", defaults)).toBe(true);
    expect(requiresStartTls("smtps://u:p@mail.example.com:465", defaults)).toBe(false);
    expect(requiresStartTls("smtp://mail.example.com:25", defaults)).toBe(false);
  });

  it("authenticates over STARTTLS when the server offers it", async () => {
    const tls = await startSmtpServer({ user: "reclaim", password: PASSWORD, startTls: true });
    try {
      // smtp-server's own certificate is self-signed for localhost.
      const result = await send(`${tls.url}?tls.rejectUnauthorized=false`);
      expect(result.ok, result.error).toBe(true);
      expect(tls.authAttempts).toBe(1);
      expect(tls.received).toHaveLength(1);
    } finally {
      await tls.close();
    }
  });
});

describe("SMTP timeouts", () => {
  let servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  it("gives up on a server that takes DATA and never answers, without retrying", async () => {
    const smtp = await startSmtpServer();
    servers.push(smtp);
    smtp.hangNext(10);
    const result = await send(smtp.url, { socketTimeoutMs: 300 });
    expect(result.ok).toBe(false);
    // One attempt: the silent server may still deliver it, so no second copy now.
    expect(result.attempts).toBe(1);
    expect(result.error).toMatch(
      /did not answer within email\.smtp\.socketTimeoutMs \(300 ms\).*next `reclaim email` retries/,
    );
  });

  it("gives up on a server that accepts the connection and never greets", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    servers.push({
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    });
    const port = (silent.address() as AddressInfo).port;
    const result = await send(`smtp://127.0.0.1:${port}`, { greetingTimeoutMs: 300 });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/did not send its greeting within email\.smtp\.greetingTimeoutMs/);
  });

  it("has bounded defaults and validates what the config file gives", () => {
    expect(defaults).toMatchObject({
      connectionTimeoutMs: 30_000,
      greetingTimeoutMs: 30_000,
      socketTimeoutMs: 60_000,
      allowInsecureAuth: false,
    });
    const bad = smtpSectionSchema.safeParse({ socketTimeoutMs: 0, greetingTimeoutMs: "5" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join("."))).toEqual([
      "greetingTimeoutMs",
      "socketTimeoutMs",
    ]);
  });
});
