/**
 * Every number reconciles by construction (issue: one definition of dormant): on a seeded
 * org, for the default rules and for rules whose threshold is not one of the fixed windows,
 * seats = active + grace + dormant on every product row, at every threshold and in the
 * totals; the trend's latest point is the summary; the Dormant accounts sheet holds exactly
 * the dormant seats; nobody in their grace period is listed.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.ts";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { buildReports } from "../../../src/reports/build-report.ts";
import { productId } from "../../../src/reports/product-labels.ts";
import { fixedClock } from "../../../src/shared/clock.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { crawlSimulator, TIME_SCALE } from "../../helpers/crawl.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { reportRuntime } from "../../helpers/report-fixture.ts";

const RULES = [
  { name: "default rules", report: {} },
  {
    name: "a 120-day threshold outside the windows, a 45-day grace period",
    report: { dormantAfterDays: 120, newUserGraceDays: 45, thresholdsDays: [14, 45, 90, 365] },
  },
];

describeEachBackend("report identities", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: 700, seed: "identities" }],
      timeScale: TIME_SCALE,
    });
    database = await backend.open();
    expect((await crawlSimulator(database.db, sim, "bulk")).status).toBe("succeeded");
    expect((await crawlSimulator(database.db, sim, "bulk")).status).toBe("succeeded");
  }, 120_000);
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  for (const rules of RULES) {
    it(`holds with ${rules.name}`, async () => {
      const runtime = await reportRuntime(database, fixedClock(new Date(Date.now() + 60_000)));
      const file = path.join(runtime.reportsDir, "reclaim.config.json");
      await writeFile(file, JSON.stringify({ report: rules.report }));
      const config = loadConfig({ RECLAIM_REPORTS_DIR: runtime.reportsDir }, { config: file });
      const [report] = await buildReports({ ...runtime, config });
      const s = report!.summary;
      const d = String(s.dormantAfterDays);

      // Every product row, at every threshold.
      expect(s.products.length).toBeGreaterThan(1);
      for (const p of s.products) {
        expect(p.active + p.grace + p.dormant, p.label).toBe(p.seats);
        expect(p.neverActive).toBeLessThanOrEqual(p.grace + p.dormant);
        for (const [days, c] of Object.entries(p.byThreshold)) {
          expect(c.active + c.grace + c.dormant, `${p.label} at ${days}`).toBe(p.seats);
          expect(p.activeWithinDays[days]).toBe(c.active);
        }
      }
      const sum = (f: (p: (typeof s.products)[number]) => number) =>
        s.products.reduce((a, p) => a + f(p), 0);
      expect(s.totals.billableSeats).toBe(sum((p) => p.seats));
      expect(s.totals.activeSeats + s.totals.graceSeats + s.totals.dormantSeats).toBe(
        s.totals.billableSeats,
      );
      expect(s.totals.graceSeats).toBeGreaterThan(0);
      expect(s.totals.dormantSeats).toBe(sum((p) => p.dormant));
      if (s.thresholdsDays.includes(s.dormantAfterDays)) {
        expect(s.savings.monthlyByThreshold[d]).toBeCloseTo(s.savings.projectedMonthly, 2);
      }

      // The trend's latest point is this summary, product by product; one point per crawl.
      expect(s.trend).toHaveLength(2);
      const latest = s.trend[s.trend.length - 1]!;
      expect(latest.crawlRunId).toBe(s.crawlRunId);
      for (const p of s.products) expect(latest.dormant[productId(p)] ?? 0).toBe(p.dormant);

      // The Dormant accounts sheet holds exactly the dormant seats, and no grace-period user.
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(report!.workbookPath);
      const sheet = wb.getWorksheet("Dormant accounts")!;
      const headers = (sheet.getRow(1).values as unknown[]).slice(1).map(String);
      const col = (h: string) => headers.indexOf(h) + 1;
      let rows = 0;
      let seats = 0;
      sheet.eachRow((row, n) => {
        if (n === 1) return;
        rows++;
        const dormantIn = row.getCell(col("Dormant in")).text;
        seats += dormantIn === "" ? 0 : dormantIn.split(", ").length;
        expect(row.getCell(col("Suggested action")).value).not.toBe(
          "leave: new user in grace period",
        );
        if (row.getCell(col("Never active")).value === "yes") {
          for (let c = 0; c < s.products.length; c++) {
            const v = row.getCell(col("IdP-synced") + 1 + c).value;
            expect(v === null || v === "never", `never-active row ${n}`).toBe(true);
          }
        }
      });
      expect(rows).toBe(s.totals.dormantUsers);
      expect(seats).toBe(s.totals.dormantSeats);

      // The Products sheet shows the same identity on every row.
      const products = wb.getWorksheet("Products")!;
      const ph = (products.getRow(1).values as unknown[]).slice(1).map(String);
      const at = (row: ExcelJS.Row, h: string) => {
        const v = row.getCell(ph.indexOf(h) + 1).value;
        return typeof v === "object" && v !== null && "result" in v ? Number(v.result) : Number(v);
      };
      const activeHeader = `Active (last ${s.dormantAfterDays} days)`;
      for (let r = 2; r <= s.products.length + 2; r++) {
        const row = products.getRow(r);
        expect(at(row, activeHeader) + at(row, "In grace period") + at(row, "Dormant")).toBe(
          at(row, "Seats"),
        );
      }
    });
  }
});
