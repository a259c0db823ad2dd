/**
 * The dormant-account workbook, written with exceljs's streaming writer: sheets are written
 * one after another (one function each below) and each row is committed as it is produced, so
 * memory stays flat however many dormant users the org has. The CSV twin of the Dormant
 * accounts sheet is written in the same pass. The chart is added to the Summary sheet
 * afterwards (see zip-image.ts). Without `dormant` input the same workbook is written without
 * the per-person sheet: the finance copy, which names nobody.
 */
import { once } from "node:events";
import ExcelJS from "exceljs";
import type { ReportConfig } from "../config/sections/report.ts";
import { closeGuarded, openGuarded, type GuardedStream } from "../shared/storage.ts";
import { renderDormantChart } from "./chart.ts";
import { csvLine } from "./csv.ts";
import { BUCKET_FILLS } from "./model.ts";
import { dormantCells, dormantHeaders, type DormantRow, type ProductColumn } from "./rows.ts";
import type { ReportSummary } from "./summary.ts";
import { addImageToXlsx } from "./zip-image.ts";

type Worksheet = ExcelJS.Worksheet;
type Cell = ExcelJS.Cell;

const DATE_TIME = "yyyy-mm-dd hh:mm";
const DATE = "yyyy-mm-dd";
const MONEY = "#,##0.00";
const HEADER_FILL: ExcelJS.Fill = {
  type: "pattern",
  pattern: "solid",
  fgColor: { argb: "FF1F3B57" },
};
export const CHART_SIZE = { widthPx: 1000, heightPx: 420 };

export interface WorkbookInput {
  workbookPath: string;
  summary: ReportSummary;
  config: ReportConfig;
  reportId?: number | null;
  /** The Dormant accounts sheet and its CSV; absent for the finance copy. */
  dormant?: {
    csvPath: string;
    columns: readonly ProductColumn[];
    /** Yields rows in batches (keyset-paged from the database). */
    rows: () => AsyncIterable<readonly DormantRow[]>;
  };
}

type Writer = ExcelJS.stream.xlsx.WorkbookWriter;
const FROZEN = { views: [{ state: "frozen" as const, ySplit: 1 }] };

/** Where the Products sheet put the columns the Finance sheet refers to. */
interface ProductsLayout {
  dormantCol: string;
  priceCol: string;
  reclaimCol: string;
  /** Last product row (the total row is the next one). */
  last: number;
}

export interface WorkbookResult {
  dormantRows: number;
}

function colLetter(n: number): string {
  let s = "";
  let x = n;
  while (x > 0) {
    const m = (x - 1) % 26;
    s = String.fromCharCode(65 + m) + s;
    x = Math.floor((x - 1) / 26);
  }
  return s;
}

function header(ws: Worksheet, titles: readonly string[], widths: readonly number[]): void {
  ws.columns = titles.map((_, i) => ({ width: widths[i] ?? 14 }));
  const row = ws.addRow([...titles]);
  row.font = { bold: true, color: { argb: "FFFFFFFF" } };
  row.eachCell((c) => {
    c.fill = HEADER_FILL;
  });
  row.commit();
}

function freezeAndFilter(ws: Worksheet, columns: number): void {
  ws.autoFilter = `A1:${colLetter(columns)}1`;
}

async function write(out: GuardedStream, text: string): Promise<void> {
  out.check();
  if (!out.stream.write(text)) await Promise.race([once(out.stream, "drain"), out.failed]);
}

/**
 * Writes the workbook (and the CSV, with `dormant`) to new files at the given paths.
 * @throws the file system's error (e.g. ENOSPC) as soon as a file cannot be written; the
 *   caller removes the files (they are temporary names until the report is complete)
 */
export async function writeWorkbook(input: WorkbookInput): Promise<WorkbookResult> {
  const { summary, config } = input;
  // Our own stream, not exceljs's `filename`: exceljs listens for its stream's errors only
  // while committing, so a full or read-only disk would be an unhandled 'error' event, and a
  // commit after the stream failed would wait forever.
  const out = openGuarded(input.workbookPath);
  let count: number;
  let chartAnchorRow: number;
  try {
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: out.stream,
      useStyles: true,
      useSharedStrings: false,
    });
    wb.creator = "reclaim";
    wb.created = new Date(summary.generatedAt);
    chartAnchorRow = writeSummarySheet(wb, summary);
    count = input.dormant ? await writeDormantSheet(wb, input.dormant, out.check) : 0;
    const layout = writeProductsSheet(wb, summary, config);
    writeFinanceSheet(wb, summary, layout);
    writeTrendSheet(wb, summary);
    writeAboutSheet(wb, summary, config, input.reportId);
    await Promise.race([wb.commit(), out.failed]);
  } catch (error) {
    out.stream.destroy();
    throw error;
  }
  await addImageToXlsx(input.workbookPath, 1, renderDormantChart(summary), {
    col: 0,
    row: chartAnchorRow,
    ...CHART_SIZE,
  });
  return { dormantRows: count };
}

/** Headline numbers and the per-product table; returns the row the chart is anchored at. */
function writeSummarySheet(wb: Writer, summary: ReportSummary): number {
  const s = wb.addWorksheet("Summary");
  s.columns = [{ width: 34 }, { width: 22 }, { width: 14 }, { width: 14 }, { width: 14 }];
  const kv = (label: string, value: ExcelJS.CellValue, numFmt?: string) => {
    const row = s.addRow([label, value]);
    row.getCell(1).font = { bold: true };
    if (numFmt) row.getCell(2).numFmt = numFmt;
    row.commit();
  };
  const title = s.addRow([`Dormant accounts — ${summary.orgName ?? summary.orgId}`]);
  title.font = { bold: true, size: 16 };
  title.commit();
  kv("Org", summary.orgName ?? summary.orgId);
  kv("Org id", summary.orgId);
  kv("Data as of (crawl finished, UTC)", new Date(summary.dataAsOf), DATE_TIME);
  kv("Note", "Atlassian's activity data can lag up to 24 hours behind this time.");
  kv("Generated (UTC)", new Date(summary.generatedAt), DATE_TIME);
  kv("Crawl run", summary.crawlRunId);
  kv("Dormant after (days idle)", summary.dormantAfterDays);
  kv("Users in org", summary.totals.users);
  kv("Billable seats", summary.totals.billableSeats);
  kv("Dormant seats", summary.totals.dormantSeats);
  kv("Never-active seats", summary.totals.neverActiveSeats);
  kv("Users dormant in ≥ 1 product", summary.totals.dormantUsers);
  kv(`Projected monthly savings (${summary.currency})`, summary.savings.projectedMonthly, MONEY);
  kv(`Projected annual savings (${summary.currency})`, summary.savings.projectedAnnual, MONEY);
  s.addRow([]).commit();
  const ph = s.addRow(["Product", "Site", "Seats", "Dormant", "Never active"]);
  ph.font = { bold: true };
  ph.commit();
  for (const p of summary.products) {
    s.addRow([
      p.productName,
      p.siteUrl ?? p.resourceId,
      p.seats,
      p.dormant,
      p.neverActive,
    ]).commit();
  }
  s.addRow([]).commit();
  const chartRow = s.addRow(["Chart: dormant seats per product and over past crawls"]);
  chartRow.font = { italic: true };
  chartRow.commit();
  s.commit();
  return 16 + summary.products.length + 3;
}

/** One row per dormant user, and the same rows as CSV; returns how many were written. */
async function writeDormantSheet(
  wb: Writer,
  input: NonNullable<WorkbookInput["dormant"]>,
  checkWorkbook: () => void,
): Promise<number> {
  const { columns } = input;
  const headers = dormantHeaders(columns);
  const d = wb.addWorksheet("Dormant accounts", FROZEN);
  const fixed = [24, 30, 28, 12, 10, 11, 16, 10];
  const trailing = [10, 14, 12, 12, 40, 24, 30];
  header(d, headers, [...fixed, ...columns.map(() => 18), ...trailing]);
  freezeAndFilter(d, headers.length);
  const firstDate = fixed.length + 1;
  const bucketCol = fixed.length + columns.length + 2;
  const addedCol = fixed.length + columns.length + 4;
  const csv = openGuarded(input.csvPath);
  let count = 0;
  try {
    await write(csv, csvLine(headers));
    for await (const batch of input.rows()) {
      checkWorkbook(); // stop reading the database once the workbook cannot be written
      for (const r of batch) {
        const cells = dormantCells(r);
        const row = d.addRow(cells);
        for (let i = 0; i < columns.length; i++) {
          const c: Cell = row.getCell(firstDate + i);
          if (c.value instanceof Date) c.numFmt = DATE_TIME;
        }
        const bucket = row.getCell(bucketCol);
        bucket.fill = {
          type: "pattern",
          pattern: "solid",
          fgColor: { argb: BUCKET_FILLS[r.bucket.colour] },
        };
        if (r.addedToOrg) row.getCell(addedCol).numFmt = DATE;
        row.commit();
        await write(csv, csvLine(cells));
        count++;
      }
    }
    await closeGuarded(csv);
  } catch (error) {
    csv.stream.destroy();
    throw error;
  }
  d.commit();
  return count;
}

/** Seats, activity windows, dormant and cost per product and site, with a total row. */
function writeProductsSheet(
  wb: Writer,
  summary: ReportSummary,
  config: ReportConfig,
): ProductsLayout {
  const windows = config.thresholdsDays;
  const pHeaders = [
    "Product",
    "Product key",
    "Site",
    "Resource id",
    "Seats",
    ...windows.map((w) => `Active ≤ ${w} days`),
    "Dormant",
    "Never active",
    `Price / seat / month (${summary.currency})`,
    `Reclaimable / month (${summary.currency})`,
  ];
  const p = wb.addWorksheet("Products", FROZEN);
  header(p, pHeaders, [28, 18, 30, 38, 10, ...windows.map(() => 14), 10, 12, 18, 20]);
  freezeAndFilter(p, pHeaders.length);
  const dormantCol = colLetter(6 + windows.length);
  const priceCol = colLetter(8 + windows.length);
  const reclaimCol = colLetter(9 + windows.length);
  summary.products.forEach((prod, i) => {
    const r = i + 2;
    const row = p.addRow([
      prod.productName,
      prod.productKey,
      prod.siteUrl ?? "",
      prod.resourceId,
      prod.seats,
      ...windows.map((w) => prod.activeWithinDays[String(w)] ?? 0),
      prod.dormant,
      prod.neverActive,
      prod.pricePerSeatMonthly,
      { formula: `ROUND(${dormantCol}${r}*${priceCol}${r},2)`, result: prod.reclaimableMonthly },
    ]);
    row.getCell(8 + windows.length).numFmt = MONEY;
    row.getCell(9 + windows.length).numFmt = MONEY;
    row.commit();
  });
  const last = summary.products.length + 1;
  const totalRow = p.addRow([
    "Total",
    "",
    "",
    "",
    { formula: `SUM(E2:E${last})`, result: summary.totals.billableSeats },
    ...windows.map(() => ""),
    { formula: `SUM(${dormantCol}2:${dormantCol}${last})`, result: summary.totals.dormantSeats },
    {
      formula: `SUM(${colLetter(7 + windows.length)}2:${colLetter(7 + windows.length)}${last})`,
      result: summary.totals.neverActiveSeats,
    },
    "",
    {
      formula: `SUM(${reclaimCol}2:${reclaimCol}${last})`,
      result: summary.savings.projectedMonthly,
    },
  ]);
  totalRow.font = { bold: true };
  totalRow.getCell(9 + windows.length).numFmt = MONEY;
  totalRow.commit();
  p.commit();
  return { dormantCol, priceCol, reclaimCol, last };
}

/** Prices, projected savings (formulas over Products) and savings at each threshold. */
function writeFinanceSheet(wb: Writer, summary: ReportSummary, layout: ProductsLayout): void {
  const { dormantCol, priceCol, reclaimCol, last } = layout;
  const f = wb.addWorksheet("Finance", FROZEN);
  const fHeaders = [
    "Product",
    `Price / seat / month (${summary.currency})`,
    `Price / seat / year (${summary.currency})`,
    "Dormant seats (current threshold)",
    `Projected monthly savings (${summary.currency})`,
    `Projected annual savings (${summary.currency})`,
  ];
  header(f, fHeaders, [28, 20, 20, 18, 22, 22]);
  summary.products.forEach((prod, i) => {
    const r = i + 2;
    const row = f.addRow([
      prod.productName,
      { formula: `Products!${priceCol}${r}`, result: prod.pricePerSeatMonthly },
      { formula: `B${r}*12`, result: Math.round(prod.pricePerSeatMonthly * 12 * 100) / 100 },
      { formula: `Products!${dormantCol}${r}`, result: prod.dormant },
      { formula: `Products!${reclaimCol}${r}`, result: prod.reclaimableMonthly },
      {
        formula: `ROUND(E${r}*12,2)`,
        result: Math.round(prod.reclaimableMonthly * 12 * 100) / 100,
      },
    ]);
    for (const c of [2, 3, 5, 6]) row.getCell(c).numFmt = MONEY;
    row.commit();
  });
  const fTotal = f.addRow([
    "Total",
    "",
    "",
    { formula: `SUM(D2:D${last})`, result: summary.totals.dormantSeats },
    { formula: `SUM(E2:E${last})`, result: summary.savings.projectedMonthly },
    { formula: `ROUND(E${last + 1}*12,2)`, result: summary.savings.projectedAnnual },
  ]);
  fTotal.font = { bold: true };
  fTotal.getCell(5).numFmt = MONEY;
  fTotal.getCell(6).numFmt = MONEY;
  fTotal.commit();
  f.addRow([]).commit();
  f.addRow([
    `Billing: ${summary.billing}; prices from the config file (report.pricesPerSeatMonthly) over list-price defaults.`,
  ]).commit();
  f.addRow([]).commit();
  const th = f.addRow([
    "If the dormant threshold were…",
    `Projected monthly savings (${summary.currency})`,
    `Projected annual savings (${summary.currency})`,
  ]);
  th.font = { bold: true };
  th.commit();
  for (const days of summary.thresholdsDays) {
    const m = summary.savings.monthlyByThreshold[String(days)] ?? 0;
    const row = f.addRow([`${days} days`, m, Math.round(m * 12 * 100) / 100]);
    row.getCell(2).numFmt = MONEY;
    row.getCell(3).numFmt = MONEY;
    row.commit();
  }
  f.addRow([]).commit();
  const rs = f.addRow(["Realized savings from past actions"]);
  rs.font = { bold: true };
  rs.commit();
  f.addRow([
    "None yet: Reclaim does not take actions (the policy step does not exist yet), so there is nothing realized to report.",
  ]).commit();
  f.commit();
}

/** Dormant seats per product at each past succeeded crawl. */
function writeTrendSheet(wb: Writer, summary: ReportSummary): void {
  const keys = [...new Set(summary.products.map((x) => x.productKey))];
  for (const t of summary.trend)
    for (const k of Object.keys(t.dormantByProduct)) if (!keys.includes(k)) keys.push(k);
  const t = wb.addWorksheet("Trend", FROZEN);
  header(
    t,
    ["Crawl run", "Finished (UTC)", ...keys.map((k) => `Dormant: ${k}`)],
    [10, 18, ...keys.map(() => 20)],
  );
  for (const point of summary.trend) {
    const row = t.addRow([
      point.crawlRunId,
      new Date(point.at),
      ...keys.map((k) => point.dormantByProduct[k] ?? 0),
    ]);
    row.getCell(2).numFmt = DATE_TIME;
    row.commit();
  }
  t.commit();
}

/** Definitions, thresholds, freshness and ids. */
function writeAboutSheet(
  wb: Writer,
  summary: ReportSummary,
  config: ReportConfig,
  reportId: number | null | undefined,
): void {
  const a = wb.addWorksheet("About");
  a.columns = [{ width: 32 }, { width: 100 }];
  const about: [string, ExcelJS.CellValue][] = [
    ["Thresholds (days idle)", summary.thresholdsDays.join(", ")],
    ["Dormant after (days)", summary.dormantAfterDays],
    ["New-user grace period (days)", config.newUserGraceDays],
    [
      "Idle buckets",
      `green < ${summary.thresholdsDays[1] ?? 60}; yellow ${summary.thresholdsDays[1] ?? 60}–${summary.thresholdsDays[2] ?? 90}; orange ${summary.thresholdsDays[2] ?? 90}–${summary.thresholdsDays[3] ?? 180}; red > ${summary.thresholdsDays[3] ?? 180} or never active`,
    ],
    [
      "What counts as active",
      "Atlassian records a user as active in a product when they view a page in it for at least 2 seconds; last-active dates come from Atlassian's organization APIs.",
    ],
    [
      "Billable seat",
      "An Atlassian account (not an app or customer) with active org membership and access to the product.",
    ],
    [
      "Days idle",
      "Days since the last activity in the user's most idle dormant product; empty when a dormant product was never used.",
    ],
    [
      "Data freshness",
      `Crawl finished ${summary.dataAsOf}; Atlassian's activity data can lag up to 24 hours.`,
    ],
    ["Crawl run id", summary.crawlRunId],
    ["Report id", reportId ?? "(rebuilt from history: not recorded as a weekly report)"],
    ["Generated (UTC)", summary.generatedAt],
  ];
  for (const [k, v] of about) {
    const row = a.addRow([k, v]);
    row.getCell(1).font = { bold: true };
    row.getCell(2).alignment = { wrapText: true };
    row.commit();
  }
  a.commit();
}
