import { spawnSync } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { sql, type Insertable } from "kysely";
import ExcelJS from "exceljs";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.ts";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import type { EmailDeliveriesTable } from "../../../src/db/tables/email.ts";
import { currentOwner } from "../../../src/email/delivery-claim.ts";
import {
  deliveryFailed,
  EmailSetupError,
  NothingToSendError,
  sendWeeklyEmail,
  type SendWeeklyDeps,
} from "../../../src/email/send-weekly.ts";
import { createMailTransport } from "../../../src/email/transport.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import { StorageError } from "../../../src/shared/storage.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { emailDepsFor, FIXTURE_NOW, storeReport } from "../../helpers/email-fixture.ts";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp.ts";

const PASSWORD = "smtp-Secret-9f3a";
const noWait = { attempts: 4, baseDelayMs: 1, sleep: () => Promise.resolve() };

const transportFor = (deps: SendWeeklyDeps) =>
  createMailTransport({
    smtpUrl: deps.smtpUrl,
    smtp: deps.email.smtp,
    outboxDir: "unused",
    retry: noWait,
  });

describeEachBackend("weekly email", (backend) => {
  let smtp: TestSmtpServer;
  let database: ReclaimDatabase;

  // One database per suite (opening and migrating one costs seconds), emptied before each test.
  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(async () => {
    await database.close();
  });
  beforeAll(async () => {
    // STARTTLS with smtp-server's self-signed localhost certificate: the password goes over TLS.
    smtp = await startSmtpServer({ user: "reclaim", password: PASSWORD, startTls: true });
  });
  afterAll(async () => {
    await smtp.close();
  });
  beforeEach(async () => {
    await sql`truncate email_deliveries, report_runs, crawl_runs, orgs restart identity cascade`.execute(
      database.db,
    );
    smtp.received.length = 0;
  });

  const smtpUrl = () => `${smtp.url}?tls.rejectUnauthorized=false`;

  async function setup(overrides: Parameters<typeof emailDepsFor>[2] = {}) {
    const runtime = await emailDepsFor(
      database,
      { SMTP_URL: smtpUrl(), REPORT_TO: "admin@example.com", REPORT_FROM: "reclaim@example.com" },
      { financeTo: ["cfo@example.com"], ...overrides },
    );
    const stored = await storeReport(database, runtime.reportsDir);
    const transport = transportFor(runtime);
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
    expect([...a, ...b].map((o) => o.status).sort()).toEqual(["busy", "sent"]);
    const busy = [...a, ...b].find((o) => o.status === "busy")!;
    expect(busy.detail).toContain(`pid ${process.pid}`);
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
    const runtime = await emailDepsFor(database, { REPORT_TO: "admin@example.com" });
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
    const runtime = await emailDepsFor(
      database,
      { SMTP_URL: smtpUrl(), REPORT_TO: "admin@example.com" },
      { maxAttachmentMb: 0.004 },
    );
    await storeReport(database, runtime.reportsDir, "org-1", { rows: 300 });
    const transport = transportFor(runtime);
    await sendWeeklyEmail(runtime, { transport });
    const { mail } = smtp.received[0]!;
    expect(mail.attachments.some((a) => a.filename?.endsWith(".xlsx"))).toBe(false);
    expect(mail.text).toMatch(/too large to attach|attached zipped/);
  });

  it("refuses to start without recipients, and without a report", async () => {
    const none = await emailDepsFor(database, {});
    await expect(sendWeeklyEmail(none)).rejects.toThrow(EmailSetupError);
    await expect(sendWeeklyEmail(none)).rejects.toThrow(/no email recipients/);
    const noReport = await emailDepsFor(database, { REPORT_TO: "a@example.com" });
    // Not a setup problem: failed work (exit 1), as `reclaim report` before any crawl.
    await expect(sendWeeklyEmail(noReport)).rejects.toThrow(NothingToSendError);
    await expect(sendWeeklyEmail(noReport)).rejects.toThrow(/run `reclaim report` first/);
  });

  describe("a delivery left `sending`", () => {
    const me = currentOwner();
    const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid;

    /** A ledger row as a sender that stopped mid-send would have left it. */
    async function leftSending(
      reportId: number,
      claim: Partial<Insertable<EmailDeliveriesTable>>,
    ): Promise<void> {
      await database.db
        .insertInto("email_deliveries")
        .values({
          org_id: "org-1",
          period: "2026-W48",
          audience: "admins",
          recipient: "admin@example.com",
          report_id: reportId,
          status: "sending",
          claimed_at: FIXTURE_NOW,
          updated_at: FIXTURE_NOW,
          ...claim,
        })
        .execute();
    }

    const ledger = () =>
      database.db.selectFrom("email_deliveries").selectAll().executeTakeFirstOrThrow();

    it("is taken over at once when its sender on this host is no longer running", async () => {
      const { runtime, stored, transport } = await setup({ financeTo: [] });
      const pid = deadPid();
      await leftSending(stored.reportId, {
        claim_host: me.host,
        claim_pid_ns: me.pidNs,
        claim_pid: pid,
        claim_token: "dead-sender",
        heartbeat_at: FIXTURE_NOW, // fresh: only the pid says the sender is gone
      });
      const warnings: string[] = [];
      const outcomes = await sendWeeklyEmail(
        { ...runtime, log: { ...silentLogger, warn: (m) => warnings.push(m) } },
        { transport },
      );
      expect(outcomes.map((o) => o.status)).toEqual(["sent"]);
      expect(smtp.received).toHaveLength(1);
      expect(warnings.join("\n")).toContain(`pid ${pid}`);
      expect(await ledger()).toMatchObject({ status: "sent", sends: 1, claim_pid: process.pid });
    });

    it("is left to a live sender on this host: the rerun says who and counts as not sent", async () => {
      const { runtime, stored, transport } = await setup({ financeTo: [] });
      await leftSending(stored.reportId, {
        claim_host: me.host,
        claim_pid_ns: me.pidNs,
        claim_pid: process.ppid, // alive: the process that started this test worker
        claim_token: "live-sender",
        heartbeat_at: FIXTURE_NOW,
      });
      const outcomes = await sendWeeklyEmail(runtime, { transport });
      expect(outcomes.map((o) => o.status)).toEqual(["busy"]);
      expect(deliveryFailed(outcomes[0]!)).toBe(true);
      expect(outcomes[0]?.detail).toContain(`pid ${process.ppid} on ${me.host}`);
      expect(smtp.received).toHaveLength(0);
      expect(await ledger()).toMatchObject({ status: "sending", claim_token: "live-sender" });
    });

    it("from another host is taken over once its heartbeat is older than the lease", async () => {
      const { runtime, stored, transport } = await setup({ financeTo: [] });
      const leaseMs = 60_000;
      await leftSending(stored.reportId, {
        claim_host: "another-host",
        claim_pid_ns: "pid:[1]",
        claim_pid: process.pid, // a pid there says nothing here
        claim_token: "other-host",
        heartbeat_at: new Date(FIXTURE_NOW.getTime() - leaseMs + 1_000),
      });
      const fresh = await sendWeeklyEmail(runtime, { transport, leaseMs });
      expect(fresh.map((o) => o.status)).toEqual(["busy"]);
      expect(fresh[0]?.detail).toContain("on another-host");
      await database.db
        .updateTable("email_deliveries")
        .set({ heartbeat_at: new Date(FIXTURE_NOW.getTime() - leaseMs - 1_000) })
        .execute();
      const stale = await sendWeeklyEmail(runtime, { transport, leaseMs });
      expect(stale.map((o) => o.status)).toEqual(["sent"]);
      expect(smtp.received).toHaveLength(1);
    });

    it("by a sender from before claims named their owner is taken over after the lease", async () => {
      const { runtime, stored, transport } = await setup({ financeTo: [] });
      await leftSending(stored.reportId, {
        claimed_at: new Date(FIXTURE_NOW.getTime() - 10 * 60_000),
      });
      const outcomes = await sendWeeklyEmail(runtime, { transport, leaseMs: 5 * 60_000 });
      expect(outcomes.map((o) => o.status)).toEqual(["sent"]);
    });
  });

  it("records a send that throws as failed with the reason, and the next run delivers it", async () => {
    // The outbox folder lies under a regular file: every write there fails with ENOTDIR.
    const runtime = await emailDepsFor(database, { REPORT_TO: "admin@example.com" });
    await storeReport(database, runtime.reportsDir);
    const blocker = path.join(runtime.reportsDir, "not-a-folder");
    await writeFile(blocker, "a file");
    const broken = { ...runtime, reportsDir: blocker };
    const error = await sendWeeklyEmail(broken).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(
      /not-a-folder\/outbox: .*ENOTDIR.*RECLAIM_REPORTS_DIR/,
    );
    expect((error as Error).message).not.toContain("\n");
    const row = await database.db
      .selectFrom("email_deliveries")
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.status).toBe("failed");
    expect(row.last_error).toMatch(/ENOTDIR/);
    // Retryable: the same ledger row is sent by the next run, at once.
    const retry = await sendWeeklyEmail(runtime);
    expect(retry.map((o) => o.status)).toEqual(["written"]);
    expect(await readdir(path.join(runtime.reportsDir, "outbox"))).toEqual([
      path.basename(retry[0]!.path!),
    ]);
  });

  it("stops before the next recipient once aborted, never in the middle of a message", async () => {
    const { runtime, transport } = await setup({ to: ["a@example.com", "b@example.com"] });
    const controller = new AbortController();
    const abortingTransport = {
      ...transport,
      send: (message: Parameters<typeof transport.send>[0], stem: string) => {
        controller.abort(); // the scheduler shuts down while the first message is going out
        return transport.send(message, stem);
      },
    };
    const outcomes = await sendWeeklyEmail(runtime, {
      transport: abortingTransport,
      signal: controller.signal,
    });
    expect(outcomes.map((o) => [o.recipient, o.status])).toEqual([["a@example.com", "sent"]]);
    expect(smtp.received).toHaveLength(1);
    const rows = await database.db.selectFrom("email_deliveries").selectAll().execute();
    expect(rows.map((r) => [r.recipient, r.status])).toEqual([["a@example.com", "sent"]]);
  });

  it("accepts Name <address> forms and keys the ledger by the address", async () => {
    const { runtime, transport } = await setup({ financeTo: [] });
    const named = loadConfig(
      { REPORT_TO: 'Jane Doe <jane@example.com>, "Roe, Rick" <rick@example.com>' },
      {},
      "/nonexistent",
    );
    const deps = { ...runtime, email: { ...runtime.email, to: named.email.to } };
    const outcomes = await sendWeeklyEmail(deps, { transport });
    expect(outcomes.map((o) => [o.recipient, o.status])).toEqual([
      ["jane@example.com", "sent"],
      ["rick@example.com", "sent"],
    ]);
    const rick = smtp.received.find((r) => r.envelopeTo.includes("rick@example.com"))!;
    expect(rick.mail.to && "value" in rick.mail.to ? rick.mail.to.value : []).toEqual([
      { name: "Roe, Rick", address: "rick@example.com" },
    ]);
    // A new display name is the same recipient: not sent twice.
    const renamed = { ...deps, email: { ...deps.email, to: ["Janet <jane@example.com>"] } };
    const again = await sendWeeklyEmail(renamed, { transport });
    expect(again.map((o) => o.status)).toEqual(["skipped"]);
  });
});
