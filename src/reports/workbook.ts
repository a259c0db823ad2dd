/**
 * The dormant-account workbook, written with exceljs's streaming writer: sheets are written
 * one after another (one file each under sheets/) and each row is committed as it is
 * produced, so memory stays flat however many dormant users the org has. The Dormant accounts
 * sheet is written first, while the summary's statistics are still being read, and the Summary
 * is then moved to the first tab; the CSV twin of the Dormant accounts sheet is written in the
 * same pass. The chart is added to the Summary sheet afterwards (see zip-image.ts). Without
 * `dormant` input the same workbook is written without the per-person sheet: the finance
 * copy, which names nobody.
 */
import ExcelJS from "exceljs";
import { openGuarded } from "../shared/storage.ts";
import type { ReportConfig } from "../config/sections/report.ts";
import { drawDormantChart, type DormantChart } from "./chart.ts";
import { dateTimeText } from "./formats.ts";
import { writeAboutSheet } from "./sheets/about-sheet.ts";
import type { SheetBase, SheetContext, Worksheet, Writer } from "./sheets/context.ts";
import { writeDormantSheet, type DormantInput } from "./sheets/dormant-sheet.ts";
import { writeFinanceSheet, writeProductsSheet } from "./sheets/products-sheets.ts";
import { writeSummarySheet, type ChartPlacement } from "./sheets/summary-sheet.ts";
import { writeTrendSheet } from "./sheets/trend-sheet.ts";
import { sheetStyles } from "./styles.ts";
import type { ReportSummary } from "./summary.ts";
import { addImageToXlsx } from "./zip-image.ts";

/** CSS px the workbook's chart is laid out for: panels side by side, one landscape page wide. */
export const WORKBOOK_CHART_WIDTH = 900;

/** A report's workbook and its finance copy show the same chart: it is drawn once. */
const charts = new WeakMap<ReportSummary, { timeZone: string; chart: DormantChart }>();

function chartFor(summary: ReportSummary, timeZone: string): DormantChart {
  const cached = charts.get(summary);
  if (cached?.timeZone === timeZone) return cached.chart;
  const chart = drawDormantChart(summary, { widthPx: WORKBOOK_CHART_WIDTH, timeZone });
  charts.set(summary, { timeZone, chart });
  return chart;
}

/** What the workbook's page headings and properties name, known before its summary is. */
export type WorkbookHeading = Pick<
  ReportSummary,
  "orgId" | "orgName" | "dataAsOf" | "generatedAt" | "currency"
>;

interface WorkbookCommon {
  workbookPath: string;
  config: ReportConfig;
  reportId?: number | null;
  /** The Dormant accounts sheet and its CSV; absent for the finance copy. */
  dormant?: DormantInput;
}

/**
 * The report's figures, or the promise of them with what the headings need: the Dormant
 * accounts sheet is written first, while the figures are still being read.
 */
export type WorkbookInput = WorkbookCommon &
  (
    | { summary: ReportSummary; heading?: WorkbookHeading }
    | { summary: Promise<ReportSummary>; heading: WorkbookHeading }
  );

export interface WorkbookResult {
  dormantRows: number;
}

/**
 * Writes the workbook (and the CSV when `dormant` is given); returns how many dormant rows
 * were written. Throws on a write error, or when the summary fails (the caller removes the
 * partial files).
 */
export async function writeWorkbook(input: WorkbookInput): Promise<WorkbookResult> {
  const { config } = input;
  const heading = input.heading ?? (input.summary as ReportSummary);
  const timeZone = config.timezone;
  // Our own stream, not exceljs's `filename`: exceljs listens for its stream's errors only
  // while committing, so a full or read-only disk would be an unhandled 'error' event, and a
  // commit after the stream failed would wait forever.
  const out = openGuarded(input.workbookPath);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out.stream,
    useStyles: true,
    useSharedStrings: false,
  });
  wb.creator = "reclaim";
  wb.created = new Date(heading.generatedAt);
  const base: SheetBase = {
    wb,
    config,
    styles: sheetStyles(heading.currency),
    timeZone,
    heading: `Reclaim — ${heading.orgName ?? heading.orgId} — data as of ${dateTimeText(heading.dataAsOf, timeZone)} (${timeZone})`,
    reportId: input.reportId,
  };
  // A summary that fails stops the Dormant accounts sheet at its next batch, not at its end.
  let summaryFailed: { error: unknown } | undefined;
  const summary = Promise.resolve(input.summary);
  summary.catch((error: unknown) => (summaryFailed = { error }));
  const check = () => {
    out.check();
    if (summaryFailed) throw summaryFailed.error;
  };
  let chart: DormantChart;
  let placement: ChartPlacement;
  let count = 0;
  try {
    if (input.dormant) count = await writeDormantSheet(base, input.dormant, check);
    const ctx: SheetContext = { ...base, summary: await summary };
    chart = chartFor(ctx.summary, timeZone);
    placement = writeSummarySheet(ctx, chart);
    const layout = writeProductsSheet(ctx);
    writeFinanceSheet(ctx, layout);
    writeTrendSheet(ctx);
    writeAboutSheet(ctx);
    moveToFront(wb, placement.sheet);
    await Promise.race([wb.commit(), out.failed]);
  } catch (error) {
    out.stream.destroy();
    throw error;
  }
  const { sheet, ...anchor } = placement;
  await addImageToXlsx(input.workbookPath, sheet.id, chart.png, { col: 0, ...anchor });
  return { dormantRows: count };
}

/**
 * Makes `sheet` the first tab. The Summary is the first tab but is written after the Dormant
 * accounts sheet (whose rows stream from the database while the summary's statistics are
 * read): exceljs's stream writer puts a sheet's part in the zip when the sheet is added, but
 * lists the sheets (the tabs, the workbook's relationships, the print titles' sheet indexes,
 * the document properties) in the order of its sheet list at commit. exceljs has no API for
 * the tab order, so this moves the sheet in that list; report.test.ts checks the tabs.
 */
function moveToFront(wb: Writer, sheet: Worksheet): void {
  const sheets = (wb as unknown as { _worksheets?: (Worksheet | undefined)[] })._worksheets;
  const at = sheets?.indexOf(sheet) ?? -1;
  if (sheets === undefined || at < 0) {
    throw new Error("exceljs's stream writer no longer keeps its sheets in _worksheets");
  }
  sheets.splice(at, 1);
  const first = sheets.findIndex((s) => s !== undefined);
  sheets.splice(first < 0 ? sheets.length : first, 0, sheet);
}
