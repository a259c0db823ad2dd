import { readFile } from "node:fs/promises";
import ExcelJS from "exceljs";
import { simpleParser } from "mailparser";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { sendWeeklyEmail } from "../../../src/email/send-weekly.ts";
import { createMailTransport } from "../../../src/email/transport.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { emailRuntime, storeReport } from "../../helpers/email-fixture.ts";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp.ts";

const PASSWORD = "smtp-Secret-9f3a";
const noWait = { attempts: 4, baseDelayMs: 1, sleep: () => Promise.resolve() };

describeEachBackend("weekly email", (backend) => {
  let smtp: TestSmtpServer;
  let database: ReclaimDatabase;

  beforeAll(async () => {
    smtp = await startSmtpServer({ user: "reclaim", password: PASSWORD });
  });
  afterAll(async () => {
    await smtp.close();
  });
  beforeEach(async () => {
    database = await backend.open();
    smtp.received.length = 0;
  });
  afterEach(async () => {
    await database.close();
  });

  async function setup(overrides: Parameters<typeof emailRuntime>[2] = {}) {
    const runtime = await emailRuntime(
      database,
      { SMTP_URL: smtp.url, REPORT_TO: "admin@example.com", REPORT_FROM: "reclaim@example.com" },
      { financeTo: ["cfo@example.com"], ...overrides },
    );
    const stored = await storeReport(database, runtime.reportsDir);
    const transport = createMailTransport(runtime.config.smtpUrl, "unused", noWait);
    return { runtime, stored, transport };
  }

  it("sends each audience a message with both bodies, the inline chart and the workbook", async () => {
    const { runtime, transport } = await setup();
    const outcomes = await sendWeeklyEmail(runtime, { transport });
    expect(outcomes.map((o) => [o.audience, o.recipient, o.status])).toEqual([
      ["admins", "admin@example.com", "sent"],
      ["finance", "cfo@example.com", "sent"],
    ]);
    expect(smtp.received).toHaveLength(2);
    const admin = smtp.received.find((r) => r.envelopeTo.includes("admin@example.com"))!;
    const { mail } = admin;
    expect(mail.subject).toBe(
      "[Reclaim] Acme <Corp> & Co 2026-W48: 321 dormant seats, $2,130/month",
    );
    expect(mail.from?.text).toContain("reclaim@example.com");
    expect(mail.text).toContain("Dormant seats (idle 90+ days or never used): 321");
    expect(mail.text).toContain("lags up to 24 hours");
    expect(mail.html).toContain("Acme &lt;Corp&gt; &amp; Co");
    expect(mail.html).not.toContain("Acme <Corp>");
    const image = mail.attachments.find((a) => a.contentType === "image/png")!;
    expect(image.contentId).toBe("<dormant-chart@reclaim>");
    expect(mail.html).toContain("cid:dormant-chart@reclaim");
    expect(image.content.subarray(1, 4).toString()).toBe("PNG");
    const xlsx = mail.attachments.find((a) => a.filename?.endsWith(".xlsx"))!;
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.content as unknown as ArrayBuffer);
    expect(workbook.getWorksheet("Summary")?.getCell("B2").value).toBe(321);
    const finance = smtp.received.find((r) => r.envelopeTo.includes("cfo@example.com"))!;
    expect(finance.mail.subject).toMatch(/seat costs 2026-W48/);
    // The SMTP password appears nowhere: not in the messages, not in the ledger.
    for (const r of smtp.received) expect(r.raw.toString()).not.toContain(PASSWORD);
    const ledger = await database.db.selectFrom("email_deliveries").selectAll().execute();
    expect(JSON.stringify(ledger)).not.toContain(PASSWORD);
    expect(ledger.every((d) => d.status === "sent" && d.sends === 1)).toBe(true);
  });

  it("never sends the same period twice, unless forced", async () => {
    const { runtime, transport } = await setup({ financeTo: [] });
    await sendWeeklyEmail(runtime, { transport });
    const again = await sendWeeklyEmail(runtime, { transport });
    expect(again.map((o) => o.status)).toEqual(["skipped"]);
    expect(again[0]?.detail).toMatch(/already sent/);
    expect(smtp.received).toHaveLength(1);
    const forced = await sendWeeklyEmail(runtime, { transport, force: true });
    expect(forced.map((o) => o.status)).toEqual(["sent"]);
    expect(smtp.received).toHaveLength(2);
    const row = await database.db
      .selectFrom("email_deliveries")
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.sends).toBe(2);
  });

  it("sends once when two senders race", async () => {
    const { runtime, transport } = await setup({ financeTo: [] });
    const [a, b] = await Promise.all([
      sendWeeklyEmail(runtime, { transport }),
      sendWeeklyEmail(runtime, { transport }),
    ]);
    expect([...a, ...b].map((o) => o.status).sort()).toEqual(["sent", "skipped"]);
    expect(smtp.received).toHaveLength(1);
  });

  it("retries a transient refusal, then delivers", async () => {
    const { runtime, transport } = await setup({ financeTo: [] });
    smtp.refuseNext(2, 451, "451 4.3.0 try again later");
    const outcomes = await sendWeeklyEmail(runtime, { transport });
    expect(outcomes.map((o) => o.status)).toEqual(["sent"]);
    expect(smtp.received).toHaveLength(1);
    const row = await database.db
      .selectFrom("email_deliveries")
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.attempts).toBe(3);
  });

  it("records a permanent refusal with the server's reply and reports failure", async () => {
    const { runtime, transport } = await setup({ financeTo: [] });
    smtp.refuseNext(5, 550, "550 5.1.1 mailbox unavailable");
    const outcomes = await sendWeeklyEmail(runtime, { transport });
    expect(outcomes.map((o) => o.status)).toEqual(["failed"]);
    expect(outcomes[0]?.error).toMatch(/550 5\.1\.1 mailbox unavailable/);
    const row = await database.db
      .selectFrom("email_deliveries")
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: "failed", attempts: 1 });
    expect(row.last_error).toMatch(/mailbox unavailable/);
    // A failed delivery is retried by the next run.
    smtp.refuseNext(0, 0);
    const retry = await sendWeeklyEmail(runtime, { transport });
    expect(retry.map((o) => o.status)).toEqual(["sent"]);
  });

  it("writes the same message to the outbox when no SMTP server is configured", async () => {
    const runtime = await emailRuntime(database, { REPORT_TO: "admin@example.com" });
    await storeReport(database, runtime.reportsDir);
    const outcomes = await sendWeeklyEmail(runtime);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.status).toBe("written");
    const mail = await simpleParser(await readFile(outcomes[0]!.path!));
    expect(mail.to && "text" in mail.to ? mail.to.text : "").toBe("admin@example.com");
    expect(mail.subject).toMatch(/2026-W48/);
    expect(mail.attachments.map((a) => a.contentType).sort()).toEqual([
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "image/png",
    ]);
    const again = await sendWeeklyEmail(runtime);
    expect(again[0]?.status).toBe("skipped");
  });

  it("zips a workbook over the size limit, or replaces it by a note when zipping is not enough", async () => {
    const runtime = await emailRuntime(
      database,
      { SMTP_URL: smtp.url, REPORT_TO: "admin@example.com" },
      { maxAttachmentMb: 0.004 },
    );
    await storeReport(database, runtime.reportsDir, "org-1", { rows: 300 });
    const transport = createMailTransport(runtime.config.smtpUrl, "unused", noWait);
    await sendWeeklyEmail(runtime, { transport });
    const { mail } = smtp.received[0]!;
    expect(mail.attachments.some((a) => a.filename?.endsWith(".xlsx"))).toBe(false);
    expect(mail.text).toMatch(/too large to attach|attached zipped/);
  });

  it("refuses to start without recipients, and without a report", async () => {
    const none = await emailRuntime(database, {});
    await expect(sendWeeklyEmail(none)).rejects.toThrow(/no email recipients/);
    const noReport = await emailRuntime(database, { REPORT_TO: "a@example.com" });
    await expect(sendWeeklyEmail(noReport)).rejects.toThrow(/run `reclaim report` first/);
  });
});
