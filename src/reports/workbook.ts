/**
 * The dormant-account workbook, written with exceljs's streaming writer: sheets are written
 * one after another (one function each below) and each row is committed as it is produced, so
 * memory stays flat however many dormant users the org has. The CSV twin of the Dormant
 * accounts sheet is written in the same pass. The chart is added to the Summary sheet
 * afterwards (see zip-image.ts). Without `dormant` input the same workbook is written without
 * the per-person sheet: the finance copy, which names nobody.
 */
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import ExcelJS from "exceljs";
import type { ReportConfig } from "../config/sections/report.ts";
import { renderDormantChart } from "./chart.ts";
import { csvLine } from "./csv.ts";
import { describeBuckets } from "../rules/index.ts";
import { BUCKET_FILLS } from "./model.ts";
import { productId } from "./product-labels.ts";
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

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}

export async function writeWorkbook(input: WorkbookInput): Promise<WorkbookResult> {
  const { summary, config } = input;
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: input.workbookPath,
    useStyles: true,
    useSharedStrings: false,
  });
  wb.creator = "reclaim";
  wb.created = new Date(summary.generatedAt);
  const chartAnchorRow = writeSummarySheet(wb, summary);
  const count = input.dormant ? await writeDormantSheet(wb, input.dormant) : 0;
  const layout = writeProductsSheet(wb, summary, config);
  writeFinanceSheet(wb, summary, layout);
  writeTrendSheet(wb, summary);
  writeAboutSheet(wb, summary, config, input.reportId);
  await wb.commit();
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
  kv(
    `Active seats (used in the last ${summary.dormantAfterDays} days)`,
    summary.totals.activeSeats,
  );
  kv(
    `Seats in the new-user grace period (${summary.newUserGraceDays} days)`,
    summary.totals.graceSeats,
  );
  kv("Dormant seats", summary.totals.dormantSeats);
  kv("Never-active seats (in grace or dormant)", summary.totals.neverActiveSeats);
  kv("Users dormant in ≥ 1 product", summary.totals.dormantUsers);
  kv("Users in the grace period", summary.totals.graceUsers);
  kv(`Projected monthly savings (${summary.currency})`, summary.savings.projectedMonthly, MONEY);
  kv(`Projected annual savings (${summary.currency})`, summary.savings.projectedAnnual, MONEY);
  s.addRow([]).commit();
  const ph = s.addRow([
    "Product",
    "Site",
    "Seats",
    "Active",
    "In grace",
    "Dormant",
    "Never active",
  ]);
  ph.font = { bold: true };
  ph.commit();
  for (const p of summary.products) {
    s.addRow([
      p.label,
      p.siteUrl ?? p.resourceId,
      p.seats,
      p.active,
      p.grace,
      p.dormant,
      p.neverActive,
    ]).commit();
  }
  s.addRow([]).commit();
  const chartRow = s.addRow(["Chart: dormant seats per product and over past crawls"]);
  chartRow.font = { italic: true };
  chartRow.commit();
  s.commit();
  return 19 + summary.products.length + 3;
}

/** One row per dormant user, and the same rows as CSV; returns how many were written. */
async function writeDormantSheet(
  wb: Writer,
  input: NonNullable<WorkbookInput["dormant"]>,
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
  const csv = createWriteStream(input.csvPath);
  let count = 0;
  try {
    await write(csv, csvLine(headers));
    for await (const batch of input.rows()) {
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
  } finally {
    csv.end();
    await once(csv, "close");
  }
  d.commit();
  return count;
}

/**
 * Seats, their states, activity windows and cost per product and site, with a total row.
 * Seats = Active + In grace period + Dormant on every row.
 */
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
    `Active (last ${summary.dormantAfterDays} days)`,
    "In grace period",
    "Dormant",
    "Never active",
    ...windows.map((w) => `Active in last ${w} days`),
    `Price / seat / month (${summary.currency})`,
    "Price from",
    `Reclaimable / month (${summary.currency})`,
  ];
  const p = wb.addWorksheet("Products", FROZEN);
  header(p, pHeaders, [28, 18, 30, 38, 10, 12, 12, 10, 12, ...windows.map(() => 14), 18, 16, 20]);
  freezeAndFilter(p, pHeaders.length);
  const dormantCol = colLetter(8);
  const priceCol = colLetter(10 + windows.length);
  const reclaimCol = colLetter(12 + windows.length);
  summary.products.forEach((prod, i) => {
    const r = i + 2;
    const row = p.addRow([
      prod.label,
      prod.productKey,
      prod.siteUrl ?? "",
      prod.resourceId,
      prod.seats,
      prod.active,
      prod.grace,
      prod.dormant,
      prod.neverActive,
      ...windows.map((w) => prod.activeWithinDays[String(w)] ?? 0),
      prod.pricePerSeatMonthly,
      prod.priceSource,
      { formula: `ROUND(${dormantCol}${r}*${priceCol}${r},2)`, result: prod.reclaimableMonthly },
    ]);
    row.getCell(10 + windows.length).numFmt = MONEY;
    row.getCell(12 + windows.length).numFmt = MONEY;
    row.commit();
  });
  const last = summary.products.length + 1;
  const total = (col: number, result: number) => ({
    formula: `SUM(${colLetter(col)}2:${colLetter(col)}${last})`,
    result,
  });
  const totalRow = p.addRow([
    "Total",
    "",
    "",
    "",
    total(5, summary.totals.billableSeats),
    total(6, summary.totals.activeSeats),
    total(7, summary.totals.graceSeats),
    total(8, summary.totals.dormantSeats),
    total(9, summary.totals.neverActiveSeats),
    ...windows.map(() => ""),
    "",
    "",
    total(12 + windows.length, summary.savings.projectedMonthly),
  ]);
  totalRow.font = { bold: true };
  totalRow.getCell(12 + windows.length).numFmt = MONEY;
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
      prod.label,
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
    `Billing: ${summary.billing}. Prices from the config file (report.pricesPerSeatMonthly, in ${summary.currency}); a product without one uses Atlassian's USD list price only when the currency is USD, otherwise 0.`,
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
  writeRealizedRows(f, summary);
  f.commit();
}

/** Realized savings of applied policy actions (not undone), beside the projected ones. */
function writeRealizedRows(f: Worksheet, summary: ReportSummary): void {
  const r = summary.realized;
  if (r === undefined || r.actions === 0) {
    f.addRow([
      "None yet: no policy action has been applied (see `reclaim policy plan`), so nothing is realized.",
    ]).commit();
    return;
  }
  const money = (row: ExcelJS.Row, cols: number[]) => {
    for (const c of cols) row.getCell(c).numFmt = MONEY;
    row.commit();
  };
  const head = f.addRow([
    "Product",
    "Seats freed",
    `Realized monthly savings (${summary.currency})`,
    `Saved to date (${summary.currency})`,
  ]);
  head.font = { bold: true };
  head.commit();
  for (const p of r.byProduct)
    money(f.addRow([p.productKey, p.seats, p.monthly, p.toDate]), [3, 4]);
  const total = f.addRow(["Total", r.seats, r.monthly, r.toDate]);
  total.font = { bold: true };
  money(total, [3, 4]);
  f.addRow([]).commit();
  money(
    f.addRow(["Projected vs realized (monthly)", summary.savings.projectedMonthly, r.monthly]),
    [2, 3],
  );
  f.addRow([
    `From ${r.actions} applied policy actions: price × seats freed × months since each action; undone actions and seats still held through another grant are not counted.`,
  ]).commit();
}

/** Dormant seats per product at each past succeeded crawl, by the same rules as Summary. */
function writeTrendSheet(wb: Writer, summary: ReportSummary): void {
  const products = summary.products.map((p) => ({ id: productId(p), label: p.label }));
  const t = wb.addWorksheet("Trend", FROZEN);
  header(
    t,
    [
      "Crawl run",
      "Finished (UTC)",
      ...products.map((p) => `Dormant: ${p.label}`),
      "Dormant: total",
      `Realized savings / month (${summary.currency})`,
    ],
    [10, 18, ...products.map(() => 22), 14, 18],
  );
  for (const point of summary.trend) {
    const values = products.map((p) => point.dormant[p.id] ?? 0);
    const row = t.addRow([
      point.crawlRunId,
      new Date(point.at),
      ...values,
      Object.values(point.dormant).reduce((a, b) => a + b, 0),
      point.realizedMonthly ?? 0,
    ]);
    row.getCell(2).numFmt = DATE_TIME;
    row.getCell(products.length + 4).numFmt = MONEY;
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
    ["Idle buckets", describeBuckets(summary.thresholdsDays)],
    [
      "Active, grace, dormant",
      `A seat is active when used in the last ${summary.dormantAfterDays} days (days idle < ${summary.dormantAfterDays}); otherwise it is in the grace period when its user joined the org in the last ${config.newUserGraceDays} days, else dormant. Seats = active + grace + dormant on every row.`,
    ],
    [
      "What counts as active",
      "Atlassian records a user as active in a product when they view a page in it for at least 2 seconds; last-active dates come from Atlassian's organization APIs.",
    ],
    [
      "Billable seat",
      "A person's account (not an app or customer), not deactivated, with active org membership and access to the product.",
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
