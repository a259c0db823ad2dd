/**
 * The weekly job end to end through the real CLI: `reclaim demo` (what `npm start` runs) and
 * `reclaim run` against a simulated org and a real SMTP server.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { runCli } from "../../helpers/cli.ts";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp.ts";

const tempDir = () => mkdtempSync(path.join(tmpdir(), "reclaim-pipeline-"));

describe("reclaim demo (npm start)", () => {
  it("crawls a simulated org, writes the workbook and the email to the outbox, and says where", async () => {
    const cwd = tempDir();
    const first = await runCli(["demo"], { cwd, timeoutMs: 120_000 });
    expect(first.code, first.stderr).toBe(0);
    const workbook = /^workbook: (.+\.xlsx)$/m.exec(first.stdout)?.[1];
    expect(workbook).toBeDefined();
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path.resolve(cwd, workbook!));
    expect(wb.worksheets.map((w) => w.name)).toContain("Dormant accounts");
    expect(wb.getWorksheet("Dormant accounts")!.rowCount).toBeGreaterThan(1);

    const emails = [...first.stdout.matchAll(/written to (.+\.eml)$/gm)].map((m) => m[1]!);
    expect(emails.length).toBeGreaterThanOrEqual(1);
    for (const file of emails) {
      expect(path.dirname(file)).toBe(path.join(cwd, "reports", "outbox"));
      const mail = await simpleParser(await readFile(file));
      expect(mail.subject).toMatch(/^\[Reclaim\] Demo Org .*\d{4}-W\d{2}/);
      const attached = mail.attachments.map((a) => a.filename ?? "");
      // Finance gets the copy without the sheet that names people.
      const expected = file.includes("-finance-") ? /-finance\.xlsx$/ : /\d\.xlsx$/;
      expect(attached.filter((name) => expected.test(name))).toHaveLength(1);
    }

    // The same week again: a new crawl and workbook, but the email is not sent twice.
    const second = await runCli(["demo"], { cwd, timeoutMs: 120_000 });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/skipped: already sent/);
    expect(second.stdout).not.toMatch(/written to .+\.eml$/m);
  });
});

describe("reclaim run", () => {
  let sim: RunningSimulator;
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    sim = await startSimulator({ orgs: [{ users: 200, seed: "pipeline-cli" }], timeScale: 60 });
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp.close();
    await sim.close();
  });

  const env = (extra: Record<string, string>) => ({
    ATLASSIAN_API_URL: sim.url,
    ATLASSIAN_API_KEY: sim.apiKey,
    SMTP_URL: smtp.url,
    ...extra,
  });

  it("sends the report over SMTP, then exits non-zero when the server refuses for good", async () => {
    const dir = tempDir();
    const args = ["run", "--data-dir", path.join(dir, "data"), "--reports-dir", dir];
    const sent = await runCli(args, { env: env({ REPORT_TO: "admin@example.com" }) });
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/email for admins admin@example.com .* sent/);
    expect(smtp.received.at(-1)?.envelopeTo).toEqual(["admin@example.com"]);

    smtp.refuseNext(5, 550, "550 5.1.1 mailbox unavailable");
    const refused = await runCli(args, { env: env({ REPORT_TO: "other@example.com" }) });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/other@example.com .* FAILED: .*550/);
    expect(refused.stdout + refused.stderr).not.toContain(sim.apiKey);
  });

  it("runs step by step: report needs a crawl, then builds the workbook; email --dry-run sends nothing", async () => {
    const dir = tempDir();
    const common = ["--data-dir", path.join(dir, "data"), "--reports-dir", dir];
    const early = await runCli(["report", ...common], { env: env({}) });
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/no succeeded crawl.*reclaim crawl/);

    expect((await runCli(["crawl", ...common], { env: env({}) })).code).toBe(0);
    const report = await runCli(["report", ...common], { env: env({}) });
    expect(report.code, report.stderr).toBe(0);
    const [workbook, csv] = report.stdout.split("\n");
    expect(existsSync(workbook!)).toBe(true);
    expect(existsSync(csv!)).toBe(true);
    expect(report.stdout).toMatch(/report \d+ for .+: \d+ dormant users/);

    const before = smtp.received.length;
    const dry = await runCli(["email", "--dry-run", ...common], {
      env: env({ REPORT_TO: "dry@example.com" }),
    });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/dry run: admins dry@example.com/);
    expect(smtp.received.length).toBe(before);
  });

  it("refuses a bad recipient address at start, before any crawl", async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, "data");
    const result = await runCli(["run", "--data-dir", dataDir, "--reports-dir", dir], {
      env: env({ REPORT_TO: "admin@example.com, not-an-address" }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not-an-address/);
    expect(result.stdout).not.toMatch(/crawl of/);
    expect(existsSync(dataDir)).toBe(false);
  });
});
