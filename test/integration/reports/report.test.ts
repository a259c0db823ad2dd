import { readFile } from "node:fs/promises";
import path from "node:path";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as XLSX from "xlsx";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { createAtlassianClient } from "../../../src/atlassian/client.ts";
import { suspendUser } from "../../../src/atlassian/user-access.ts";
import {
  dormantUsersReader,
  latestSucceededRuns,
} from "../../../src/db/repositories/reports.repository.ts";
import { buildReports, reportWindow, type BuiltReport } from "../../../src/reports/build-report.ts";
import { slug } from "../../../src/reports/file-names.ts";
import { BUCKET_FILLS } from "../../../src/reports/model.ts";
import { idleBucket } from "../../../src/rules/index.ts";
import { fixedClock } from "../../../src/shared/clock.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { crawlSimulator, TIME_SCALE } from "../../helpers/crawl.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { reportRuntime } from "../../helpers/report-fixture.ts";
import { sheetPart } from "../../helpers/xlsx-parts.ts";

const USERS = 800;
const DAY = 86_400_000;

/** Parses one RFC 4180 CSV document (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows;
}

function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString().slice(0, 19);
  if (typeof v === "object" && "result" in v) return cellText(v.result);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function csvText(s: string): string {
  return /^\d{4}-\d{2}-\d{2}T/.test(s) ? s.slice(0, 19) : s.replace(/^'(?=[=+\-@])/, "");
}

function num(v: ExcelJS.CellValue): number {
  if (typeof v === "number") return v;
  if (v && typeof v === "object" && "result" in v) return Number(v.result);
  return Number(v);
}

function sheetRows(ws: ExcelJS.Worksheet): ExcelJS.CellValue[][] {
  const out: ExcelJS.CellValue[][] = [];
  ws.eachRow({ includeEmpty: false }, (row) => {
    const vals: ExcelJS.CellValue[] = [];
    for (let c = 1; c <= ws.columnCount; c++) vals.push(row.getCell(c).value);
    out.push(vals);
  });
  return out;
}

describeEachBackend("dormant-account report", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;
  let report: BuiltReport;
  let wb: ExcelJS.Workbook;
  const now = new Date(Date.now() + 60_000);

  beforeAll(async () => {
    sim = await startSimulator({ orgs: [{ users: USERS, seed: "report" }], timeScale: TIME_SCALE });
    database = await backend.open();
    expect((await crawlSimulator(database.db, sim, "bulk")).status).toBe("succeeded");
    expect((await crawlSimulator(database.db, sim, "bulk")).status).toBe("succeeded");
    const runtime = await reportRuntime(database, fixedClock(now));
    const built = await buildReports(runtime);
    expect(built).toHaveLength(1);
    report = built[0]!;
    wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(report.workbookPath);
  }, 240_000);
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  it("has every sheet and records the report run", async () => {
    expect(wb.worksheets.map((w) => w.name)).toEqual([
      "Summary",
      "Dormant accounts",
      "Products",
      "Finance",
      "Trend",
      "About",
    ]);
    expect(report.workbookPath).toMatch(/reclaim-.+-\d{4}-\d{2}-\d{2}\.xlsx$/);
    // Named by the org's name, not its id.
    expect(report.summary.orgName).toBeTruthy();
    expect(path.basename(report.workbookPath)).toBe(
      `reclaim-${slug(report.summary.orgName!)}-${report.summary.generatedAt.slice(0, 10)}.xlsx`,
    );
    expect(report.workbookPath).not.toContain(report.orgId);
    expect(report.financeWorkbookPath).toMatch(/-finance\.xlsx$/);
    const run = await database.db
      .selectFrom("report_runs")
      .selectAll()
      .where("report_id", "=", report.reportId)
      .executeTakeFirstOrThrow();
    expect(run.period).toMatch(/^\d{4}-W\d{2}$/);
    expect((run.summary as { totals: { dormantUsers: number } }).totals.dormantUsers).toBe(
      report.summary.totals.dormantUsers,
    );
  });

  it("lists exactly the dormant users an independent query finds, with the right columns", async () => {
    const run = await database.db
      .selectFrom("crawl_runs")
      .select(["run_id", "finished_at"])
      .where("status", "=", "succeeded")
      .orderBy("run_id", "desc")
      .executeTakeFirstOrThrow();
    const asOf = run.finished_at!;
    const cutoff = new Date(asOf.getTime() - 90 * DAY);
    const graceCutoff = new Date(asOf.getTime() - 30 * DAY);
    // Written out independently of src/rules: billable people with a seat idle 90+ days (or
    // never used) who joined more than 30 days ago.
    const expected = await sql<{
      account_id: string;
      email: string | null;
      min_active: Date | null;
      dormant_never: boolean;
      never: boolean;
    }>`
      select u.account_id, u.email,
             min(up.last_active_at) filter (where up.last_active_at <= ${cutoff}) as min_active,
             bool_or(up.last_active_at is null) filter (
               where up.last_active_at is null or up.last_active_at <= ${cutoff}) as dormant_never,
             bool_and(up.last_active_at is null) as never
      from users u join user_products up on up.org_id = u.org_id and up.account_id = u.account_id
      where u.removed_at is null and u.membership_status = 'active'
        and coalesce(u.account_type, 'atlassian') = 'atlassian'
        and coalesce(u.account_status, 'active') = 'active'
      group by u.account_id, u.email
      having bool_or(up.last_active_at is null or up.last_active_at <= ${cutoff})
        and (min(u.added_to_org) is null or min(u.added_to_org) <= ${graceCutoff})
      order by u.account_id`.execute(database.db);
    expect(expected.rows.length).toBeGreaterThan(0);

    const ws = wb.getWorksheet("Dormant accounts")!;
    const rows = sheetRows(ws);
    const headers = rows[0]!.map(cellText);
    const body = rows.slice(1);
    expect(body.length).toBe(expected.rows.length);
    expect(report.summary.totals.dormantUsers).toBe(expected.rows.length);
    expect(ws.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });

    const col = (name: string) => headers.indexOf(name);
    const byId = new Map(body.map((r) => [cellText(r[col("Account ID")]), r]));
    for (const e of expected.rows.slice(0, 25)) {
      const r = byId.get(e.account_id);
      expect(r, e.account_id).toBeDefined();
      expect(cellText(r![col("Email")])).toBe(e.email ?? "");
      expect(cellText(r![col("Never active")])).toBe(e.never ? "yes" : "no");
      const days = r![col("Days idle")];
      if (e.dormant_never) expect(days ?? null).toBeNull();
      else {
        const want = Math.floor((asOf.getTime() - new Date(e.min_active!).getTime()) / DAY);
        expect(days).toBe(want);
      }
    }

    // Buckets and colours follow days idle.
    const bucketIdx = col("Idle bucket");
    ws.eachRow((row, n) => {
      if (n === 1) return;
      const days = row.getCell(col("Days idle") + 1).value;
      const bucket = idleBucket(typeof days === "number" ? days : null, [30, 60, 90, 180]);
      const cell = row.getCell(bucketIdx + 1);
      expect(cell.value).toBe(bucket.label);
      const fill = cell.fill as ExcelJS.FillPattern;
      expect(fill.fgColor?.argb).toBe(BUCKET_FILLS[bucket.colour]);
    });
    const actions = new Set(body.map((r) => cellText(r[col("Suggested action")])));
    for (const a of actions) {
      expect([
        "leave: admin",
        "leave: bot",
        "leave: excluded",
        "change in the IdP",
        "remove product access",
        "suspend",
      ]).toContain(a);
    }
  });

  it("writes a CSV with the same rows as the dormant sheet", async () => {
    const csv = parseCsv(await readFile(report.csvPath, "utf8"));
    const sheet = sheetRows(wb.getWorksheet("Dormant accounts")!);
    expect(csv.length).toBe(sheet.length);
    for (let i = 0; i < sheet.length; i++) {
      expect(csv[i]!.map(csvText)).toEqual(sheet[i]!.map(cellText));
    }
  });

  it("reconciles totals across Summary, Products and Finance", () => {
    const s = report.summary;
    const products = sheetRows(wb.getWorksheet("Products")!);
    const ph = products[0]!.map(cellText);
    const body = products.slice(1, -1);
    const total = products[products.length - 1]!;
    expect(body.length).toBe(s.products.length);
    const seats = body.reduce((a, r) => a + num(r[ph.indexOf("Seats")]), 0);
    const dormant = body.reduce((a, r) => a + num(r[ph.indexOf("Dormant")]), 0);
    const reclaimIdx = ph.findIndex((h) => h.startsWith("Reclaimable"));
    const priceIdx = ph.findIndex((h) => h.startsWith("Price"));
    for (const r of body) {
      expect(num(r[reclaimIdx])).toBeCloseTo(num(r[ph.indexOf("Dormant")]) * num(r[priceIdx]), 2);
    }
    const reclaim = body.reduce((a, r) => a + num(r[reclaimIdx]), 0);
    expect(seats).toBe(s.totals.billableSeats);
    expect(dormant).toBe(s.totals.dormantSeats);
    expect(num(total[ph.indexOf("Seats")])).toBe(seats);
    expect(reclaim).toBeCloseTo(s.savings.projectedMonthly, 2);

    const fin = sheetRows(wb.getWorksheet("Finance")!);
    const ftotal = fin.find((r) => cellText(r[0]) === "Total")!;
    expect(num(ftotal[3])).toBe(dormant);
    expect(num(ftotal[4])).toBeCloseTo(s.savings.projectedMonthly, 2);
    expect(num(ftotal[5])).toBeCloseTo(s.savings.projectedAnnual, 2);

    const summary = sheetRows(wb.getWorksheet("Summary")!);
    const value = (label: string) => summary.find((r) => cellText(r[0]).startsWith(label))?.[1];
    expect(num(value("Billable seats"))).toBe(seats);
    expect(num(value("Dormant seats"))).toBe(dormant);
    expect(num(value("Users dormant"))).toBe(s.totals.dormantUsers);
    expect(num(value("Projected monthly savings"))).toBeCloseTo(reclaim, 2);
  });

  it("has a trend point per succeeded crawl and the chart image", async () => {
    expect(report.summary.trend).toHaveLength(2);
    const trend = sheetRows(wb.getWorksheet("Trend")!);
    expect(trend.length).toBe(3);
    const images = wb.getWorksheet("Summary")!.getImages();
    expect(images).toHaveLength(1);
    const media = wb.getImage(Number(images[0]!.imageId));
    expect(media.extension).toBe("png");
    const zip = await JSZip.loadAsync(await readFile(report.workbookPath));
    for (const name of [
      "xl/media/image1.png",
      "xl/drawings/drawing1.xml",
      "xl/drawings/_rels/drawing1.xml.rels",
    ]) {
      expect(zip.file(name), name).not.toBeNull();
    }
    const png = await zip.file("xl/media/image1.png")!.async("nodebuffer");
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    // The chart is on the Summary (the first tab, whose part is written after the others').
    const summary = await sheetPart(zip, "Summary");
    expect(await zip.file(summary)!.async("string")).toMatch(/<drawing r:id=/);
    const rels = summary.replace("worksheets/", "worksheets/_rels/") + ".rels";
    expect(await zip.file(rels)!.async("string")).toContain("../drawings/drawing1.xml");
    const dormant = await zip.file(await sheetPart(zip, "Dormant accounts"))!.async("string");
    expect(dormant).not.toMatch(/<drawing /);
  });

  it("opens in a second, independent reader (SheetJS) with the same sheets, rows and totals", async () => {
    const book = XLSX.read(await readFile(report.workbookPath), { cellDates: true });
    expect(book.SheetNames).toEqual(wb.worksheets.map((w) => w.name));
    const dormant = XLSX.utils.sheet_to_json<unknown[]>(book.Sheets["Dormant accounts"]!, {
      header: 1,
    });
    expect(dormant.length).toBe(report.summary.totals.dormantUsers + 1);
    const products = XLSX.utils.sheet_to_json<unknown[]>(book.Sheets.Products!, { header: 1 });
    const total = products.find((row) => row[0] === "Total");
    expect(total?.[4]).toBe(report.summary.totals.billableSeats);
  });

  it("writes a finance copy with every sheet but the one that names people", async () => {
    const finance = new ExcelJS.Workbook();
    await finance.xlsx.readFile(report.financeWorkbookPath);
    expect(finance.worksheets.map((w) => w.name)).toEqual(
      wb.worksheets.map((w) => w.name).filter((n) => n !== "Dormant accounts"),
    );
    expect(finance.getWorksheet("Summary")!.getImages()).toHaveLength(1);
    const zip = await JSZip.loadAsync(await readFile(report.financeWorkbookPath));
    const xml = await Promise.all(
      Object.values(zip.files)
        .filter((f) => f.name.endsWith(".xml"))
        .map((f) => f.async("string")),
    );
    const someEmail = cellText(sheetRows(wb.getWorksheet("Dormant accounts")!)[1]![1]);
    expect(someEmail).toContain("@");
    expect(xml.join("\n")).not.toContain(someEmail);
    const run = await database.db
      .selectFrom("report_runs")
      .select("finance_workbook_path")
      .where("report_id", "=", report.reportId)
      .executeTakeFirstOrThrow();
    expect(run.finance_workbook_path).toBe(report.financeWorkbookPath);
  });

  it("reports progress after each page of dormant rows, up to the total, and pages lose nobody", async () => {
    const runtime = await reportRuntime(database, fixedClock(now));
    const [whole] = await buildReports(runtime, { pageUsers: 1_000_000 });
    const csvWhole = await readFile(whole!.csvPath, "utf8");
    const seen: { done: number; total: number }[] = [];
    const [paged] = await buildReports(runtime, {
      pageUsers: 50, // 50 users of the org scanned per page: a page holds up to 50 rows
      onProgress: (p) => seen.push({ done: p.done, total: p.total }),
    });
    const total = paged!.summary.totals.dormantUsers;
    // Progress starts once the total is counted (the first pages are written while it is), and
    // then comes after every page.
    const steps = seen.map((p, k) => p.done - (k === 0 ? 0 : seen[k - 1]!.done));
    expect(steps.every((n) => n >= 1)).toBe(true);
    expect(steps.slice(1).every((n) => n <= 50)).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(Math.ceil((total - steps[0]!) / 50));
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.at(-1)!.done).toBe(total);
    expect(seen.every((p) => p.total === total)).toBe(true);
    // The same rows in the same order, whether read in one page or in many.
    expect(await readFile(paged!.csvPath, "utf8")).toBe(csvWhole);
  });

  it("names each dormant user's groups as the org holds them, with what each grants", async () => {
    const runtime = await reportRuntime(database, fixedClock(now));
    const [run] = await latestSucceededRuns(database.db);
    const w = reportWindow(run!, runtime.config.report);
    const reader = dormantUsersReader(database.db, w);
    const org = sim.orgs[0]!;
    const simUsers = new Map(org.users.map((u) => [u.accountId, u]));
    const simGroups = new Map(org.groups.map((g) => [g.id, g]));
    let members = 0;
    for (let after: string | null = null; ;) {
      const page = await reader.page(w, after, 100);
      for (const u of page.users) {
        const expected = simUsers.get(u.accountId)!.groupIds.filter((id) => simGroups.has(id));
        expect(u.groups.map((g) => g.groupId).sort()).toEqual([...expected].sort());
        for (const g of u.groups) {
          const simGroup = simGroups.get(g.groupId)!;
          expect(g.groupName).toBe(simGroup.name);
          expect(new Set(g.grants.map((x) => x.resourceId))).toEqual(
            new Set(simGroup.roles.map((r) => r.resourceId)),
          );
          // One object per group, shared by its members on the page: nobody may change it.
          expect(Object.isFrozen(g) && Object.isFrozen(g.grants)).toBe(true);
        }
        if (u.groups.length > 0) members++;
      }
      if (page.next === null) break;
      after = page.next;
    }
    expect(members).toBeGreaterThan(10);
  });
});

describeEachBackend("past report rebuilt from history", (backend) => {
  it("rebuilds a past crawl's report identical to the one built then, after the org changed", async () => {
    const sim = await startSimulator({
      orgs: [{ users: 300, seed: "history" }],
      timeScale: TIME_SCALE,
    });
    const database = await backend.open();
    try {
      const org = sim.orgs[0]!;
      const first = await crawlSimulator(database.db, sim, "bulk");
      expect(first.status).toBe("succeeded");
      const runtime = await reportRuntime(database, fixedClock(new Date(Date.now() + 60_000)));
      const [then] = await buildReports(runtime);

      // The org changes: five users dormant then are suspended (no longer billable).
      const csvThen = await readFile(then!.csvPath, "utf8");
      const dormantIds = parseCsv(csvThen)
        .slice(1)
        .map((row) => row[2]!);
      const client = createAtlassianClient({ apiKey: org.apiKey, baseUrl: sim.url });
      const suspended = org.users
        .filter(
          (u) =>
            dormantIds.includes(u.accountId) &&
            Object.values(u.memberships).every((m) => m === "active"),
        )
        .slice(0, 5);
      expect(suspended).toHaveLength(5);
      for (const u of suspended) {
        for (const directoryId of Object.keys(u.memberships)) {
          await suspendUser(client, { orgId: org.id, directoryId, accountId: u.accountId });
        }
      }
      expect((await crawlSimulator(database.db, sim, "bulk")).status).toBe("succeeded");
      const [now] = await buildReports(runtime);
      expect(now!.summary.totals.dormantUsers).toBe(then!.summary.totals.dormantUsers - 5);

      const [rebuilt] = await buildReports(runtime, { runId: first.runId });
      expect(rebuilt!.reportId).toBeNull();
      expect(rebuilt!.workbookPath).toMatch(new RegExp(`-run${first.runId}\\.xlsx$`));
      expect({ ...rebuilt!.summary, generatedAt: "" }).toEqual({
        ...then!.summary,
        generatedAt: "",
      });
      expect(await readFile(rebuilt!.csvPath, "utf8")).toBe(csvThen);
      await expect(buildReports(runtime, { runId: 999_999 })).rejects.toThrow(
        /^there is no crawl run 999999: a report is only built from a succeeded crawl/,
      );
      await expect(buildReports(runtime, { orgId: "no-such-org" })).rejects.toThrow(
        new RegExp(`^org no-such-org is not in the database; it knows ${org.id}`),
      );
    } finally {
      await database.close();
      await sim.close();
    }
  }, 240_000);
});

describeEachBackend("report without a crawl", (backend) => {
  it("fails with a clear error when no crawl succeeded", async () => {
    const database = await backend.open();
    try {
      const runtime = await reportRuntime(database, fixedClock("2026-11-28T12:00:00Z"));
      await expect(buildReports(runtime)).rejects.toThrow(/run `reclaim crawl` first/);
    } finally {
      await database.close();
    }
  });
});

describe("csv parser used by these tests", () => {
  it("reads quoted fields", () => {
    expect(parseCsv('a,"b,""c"""\r\n')).toEqual([["a", 'b,"c"']]);
  });
});
