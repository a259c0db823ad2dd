/** A stored report (org, crawl run, report_runs row and a real workbook on disk) to email. */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { loadConfig } from "../../src/config/config.ts";
import type { EmailConfig } from "../../src/config/sections/email.ts";
import type { ReclaimDatabase } from "../../src/db/connect.ts";
import { json } from "../../src/db/json.ts";
import type { SendWeeklyDeps } from "../../src/email/send-weekly.ts";
import type { ReportSummary } from "../../src/reports/summary.ts";
import { fixedClock } from "../../src/shared/clock.ts";
import { silentLogger } from "../../src/shared/log.ts";

export const FIXTURE_NOW = new Date("2026-11-27T06:00:00Z");

export function summaryFixture(orgId: string): ReportSummary {
  return {
    orgId,
    orgName: "Acme <Corp> & Co",
    crawlRunId: 1,
    dataAsOf: "2026-11-27T05:00:00.000Z",
    generatedAt: FIXTURE_NOW.toISOString(),
    currency: "USD",
    billing: "monthly",
    dormantAfterDays: 90,
    newUserGraceDays: 30,
    thresholdsDays: [30, 60, 90, 180],
    totals: {
      users: 1200,
      billableSeats: 1500,
      activeSeats: 1179,
      graceSeats: 0,
      dormantSeats: 321,
      neverActiveSeats: 45,
      dormantUsers: 250,
      graceUsers: 0,
    },
    products: [
      {
        productKey: "jira-software",
        resourceId: "ari:cloud:jira-software::site/1",
        productName: "Jira Software (acme)",
        label: "Jira Software (acme)",
        siteUrl: "https://acme.atlassian.net",
        seats: 900,
        active: 700,
        grace: 0,
        activeWithinDays: { "30": 600, "60": 650, "90": 700, "180": 800 },
        byThreshold: { "90": { active: 700, grace: 0, dormant: 200 } },
        priceSource: "list price (USD)",
        dormant: 200,
        neverActive: 30,
        pricePerSeatMonthly: 7.53,
        reclaimableMonthly: 1506,
      },
      {
        productKey: "confluence",
        resourceId: "ari:cloud:confluence::site/1",
        productName: "Confluence (acme)",
        label: "Confluence (acme)",
        siteUrl: "https://acme.atlassian.net",
        seats: 600,
        active: 479,
        grace: 0,
        activeWithinDays: { "30": 400, "60": 450, "90": 479, "180": 500 },
        byThreshold: { "90": { active: 479, grace: 0, dormant: 121 } },
        priceSource: "list price (USD)",
        dormant: 121,
        neverActive: 15,
        pricePerSeatMonthly: 5.16,
        reclaimableMonthly: 624.36,
      },
    ],
    savings: {
      projectedMonthly: 2130.36,
      projectedAnnual: 25564.32,
      monthlyByThreshold: { "30": 4000, "60": 3000, "90": 2130.36, "180": 1200 },
    },
    unmatchedPriceKeys: [],
    trend: [
      {
        crawlRunId: 1,
        at: "2026-11-27T05:00:00.000Z",
        dormant: {
          "jira-software ari:cloud:jira-software::site/1": 200,
          "confluence ari:cloud:confluence::site/1": 121,
        },
      },
    ],
  };
}

/** Writes a small real workbook and records a report for it; returns the report id. */
export async function storeReport(
  database: ReclaimDatabase,
  dir: string,
  orgId = "org-1",
  options: { rows?: number } = {},
): Promise<{ reportId: number; workbookPath: string }> {
  const { db } = database;
  await db
    .insertInto("orgs")
    .values({ org_id: orgId, name: "Acme <Corp> & Co" })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const run = await db
    .insertInto("crawl_runs")
    .values({
      org_id: orgId,
      strategy: "auto",
      status: "succeeded",
      started_at: FIXTURE_NOW,
      heartbeat_at: FIXTURE_NOW,
      finished_at: FIXTURE_NOW,
    })
    .returning("run_id")
    .executeTakeFirstOrThrow();
  const workbookPath = path.join(dir, `reclaim-${orgId}-2026-11-27.xlsx`);
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet("Summary");
  sheet.addRow(["Org", "Acme"]);
  sheet.addRow(["Dormant seats", 321]);
  for (let i = 0; i < (options.rows ?? 0); i++)
    sheet.addRow([`user-${i}-${Math.random()}`, Math.random()]);
  await workbook.xlsx.writeFile(workbookPath);
  const report = await db
    .insertInto("report_runs")
    .values({
      org_id: orgId,
      crawl_run_id: run.run_id,
      generated_at: FIXTURE_NOW,
      period: "2026-W48",
      workbook_path: workbookPath,
      summary: json(summaryFixture(orgId)),
    })
    .returning("report_id")
    .executeTakeFirstOrThrow();
  return { reportId: report.report_id, workbookPath };
}

/** The email use-case's deps around a test database, with a fresh reports folder. */
export async function emailDepsFor(
  database: ReclaimDatabase,
  env: Record<string, string>,
  emailOverrides: Partial<EmailConfig> = {},
): Promise<SendWeeklyDeps> {
  const reportsDir = await mkdtemp(path.join(tmpdir(), "reclaim-email-"));
  const config = loadConfig({ RECLAIM_REPORTS_DIR: reportsDir, ...env }, {}, "/nonexistent");
  return {
    db: database.db,
    email: { ...config.email, ...emailOverrides },
    smtpUrl: config.smtpUrl,
    reportsDir,
    clock: fixedClock(FIXTURE_NOW),
    log: silentLogger,
  };
}
