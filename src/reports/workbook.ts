/**
 * The dormant-account workbook, written with exceljs's streaming writer: sheets are written
 * one after another (one file each under sheets/) and each row is committed as it is
 * produced, so memory stays flat however many dormant users the org has. The CSV twin of the
 * Dormant accounts sheet is written in the same pass. The chart is added to the Summary sheet
 * afterwards (see zip-image.ts). Without `dormant` input the same workbook is written without
 * the per-person sheet: the finance copy, which names nobody.
 */
import ExcelJS from "exceljs";
import { openGuarded } from "../shared/storage.ts";
import type { ReportConfig } from "../config/sections/report.ts";
import { drawDormantChart, type DormantChart } from "./chart.ts";
import { dateTimeText } from "./formats.ts";
import { writeAboutSheet } from "./sheets/about-sheet.ts";
import type { SheetContext } from "./sheets/context.ts";
import { writeDormantSheet, type DormantInput } from "./sheets/dormant-sheet.ts";
import { writeFinanceSheet, writeProductsSheet } from "./sheets/products-sheets.ts";
import { writeSummarySheet } from "./sheets/summary-sheet.ts";
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

export interface WorkbookInput {
  workbookPath: string;
  summary: ReportSummary;
  config: ReportConfig;
  reportId?: number | null;
  /** The Dormant accounts sheet and its CSV; absent for the finance copy. */
  dormant?: DormantInput;
}

export interface WorkbookResult {
  dormantRows: number;
}

/**
 * Writes the workbook (and the CSV when `dormant` is given); returns how many dormant rows
 * were written. Throws on a write error (the caller removes the partial files).
 */
export async function writeWorkbook(input: WorkbookInput): Promise<WorkbookResult> {
  const { summary, config } = input;
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
  wb.created = new Date(summary.generatedAt);
  const ctx: SheetContext = {
    wb,
    summary,
    config,
    styles: sheetStyles(summary.currency),
    timeZone,
    heading: `Reclaim — ${summary.orgName ?? summary.orgId} — data as of ${dateTimeText(summary.dataAsOf, timeZone)} (${timeZone})`,
    reportId: input.reportId,
  };
  const chart = chartFor(summary, timeZone);
  let placement: ReturnType<typeof writeSummarySheet>;
  let count: number;
  try {
    placement = writeSummarySheet(ctx, chart);
    count = input.dormant ? await writeDormantSheet(ctx, input.dormant, out.check) : 0;
    const layout = writeProductsSheet(ctx);
    writeFinanceSheet(ctx, layout);
    writeTrendSheet(ctx);
    writeAboutSheet(ctx);
    await Promise.race([wb.commit(), out.failed]);
  } catch (error) {
    out.stream.destroy();
    throw error;
  }
  await addImageToXlsx(input.workbookPath, 1, chart.png, { col: 0, ...placement });
  return { dormantRows: count };
}
