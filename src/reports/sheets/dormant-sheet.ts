/**
 * The Dormant accounts sheet and its CSV twin, streamed: one row per dormant user, committed
 * as it is written, so memory stays flat however many rows there are. Column widths come from
 * the first batch of rows (a streamed sheet fixes its widths before its first row). Every cell
 * gets one of a few shared styles (see styles.ts). The CSV keeps times in UTC (ISO 8601); the
 * sheet shows them in the org's time zone.
 */
import { once } from "node:events";
import type ExcelJS from "exceljs";
import { closeGuarded, openGuarded, type GuardedStream } from "../../shared/storage.ts";
import { csvLine } from "../csv.ts";
import { countText, wallClock } from "../formats.ts";
import { columnPx, fitLegibly, layoutHeader, textWidth, type ColumnPlan } from "../sheet-layout.ts";
import { DORMANT_FIXED_HEADERS, dormantCells, dormantHeaders } from "../rows.ts";
import type { DormantRow, ProductColumn } from "../rows.ts";
import { styleCell, type SheetStyles } from "../styles.ts";
import { addRow, colLetter, type SheetBase } from "./context.ts";

export interface DormantInput {
  csvPath: string;
  columns: readonly ProductColumn[];
  /** Yields rows in batches (pages of the org read from the database, none of them empty). */
  rows: () => AsyncIterable<readonly DormantRow[]>;
}

type Style = SheetStyles["text"];
type Value = ReturnType<typeof dormantCells>[number];

async function write(out: GuardedStream, text: string): Promise<void> {
  out.check();
  if (!out.stream.write(text)) await Promise.race([once(out.stream, "drain"), out.failed]);
}

/** Widest cap per fixed column (Name, Email, Account ID, …), in width units. */
const FIXED_MAX = [36, 40, 34, 14, 12, 12, 18, 12];
const TRAILING_MAX = [10, 16, 12, 12, 48, 60, 24];

function valueWidth(v: Value, dateWidth: number): number {
  if (v === null || v === undefined) return 0;
  if (v instanceof Date) return dateWidth;
  if (typeof v === "number") return textWidth(countText(v));
  return textWidth(String(v));
}

/**
 * The Dormant accounts sheet and its CSV twin. `checkWorkbook` throws once the workbook's own
 * file can no longer be written, so the database is not read on for nothing.
 */
export async function writeDormantSheet(
  ctx: SheetBase,
  input: DormantInput,
  checkWorkbook: () => void = () => undefined,
): Promise<number> {
  const { styles: st, timeZone } = ctx;
  const headers = dormantHeaders(input.columns);
  const n = input.columns.length;
  const fixed = DORMANT_FIXED_HEADERS.length;
  // Column kinds, in dormantCells() order: fixed texts, last active per product, then
  // days idle, bucket, never active, added to org, billable via, dormant in, action.
  const daysCol = fixed + n;
  const bucketCol = daysCol + 1;
  const addedCol = daysCol + 3;
  const idpCol = fixed - 1;
  const neverCol = daysCol + 2;
  const colStyles: Style[] = headers.map((_, i) => {
    if (i >= fixed && i < fixed + n) return st.lastActive;
    if (i === daysCol) return st.count;
    if (i === addedCol) return st.date;
    if (i === idpCol || i === neverCol) return st.centred;
    return st.plain;
  });

  const batches = input.rows()[Symbol.asyncIterator]();
  const firstBatch = await batches.next();
  const sample = firstBatch.done ? [] : firstBatch.value;
  const plans: ColumnPlan[] = headers.map((_, i) => ({
    content: 0,
    max: i < fixed ? FIXED_MAX[i] : i < fixed + n ? 18 : TRAILING_MAX[i - fixed - n],
  }));
  for (const r of sample) {
    dormantCells(r).forEach((v, i) => {
      const plan = plans[i]!;
      plan.content = Math.max(plan.content, valueWidth(v, i === addedCol ? 10 : 16));
    });
  }
  const { widths, heightPt } = layoutHeader(headers, plans);
  const widthPx = widths.reduce((a, w) => a + columnPx(w), 0);
  const print = fitLegibly({ widthPx, heading: ctx.heading, titleRow: true });
  const ws = ctx.wb.addWorksheet("Dormant accounts", {
    views: [{ state: "frozen", ySplit: 1, xSplit: 1 }],
    pageSetup: print.pageSetup,
    headerFooter: print.headerFooter,
  });
  ws.columns = widths.map((width) => ({ width }));
  addRow(ws, headers, st.header, heightPt);
  ws.autoFilter = `A1:${colLetter(headers.length)}1`;

  const csv = openGuarded(input.csvPath);
  const local = timeZone === "UTC" ? null : timeZone;
  let count = 0;
  const writeBatch = async (batch: readonly DormantRow[]) => {
    for (const r of batch) {
      const cells = dormantCells(r);
      const values: ExcelJS.CellValue[] =
        local === null ? cells : cells.map((v) => (v instanceof Date ? wallClock(v, local) : v));
      const row = ws.addRow(values);
      for (let i = 0; i < colStyles.length; i++) styleCell(row.getCell(i + 1), colStyles[i]!);
      styleCell(row.getCell(bucketCol + 1), st.bucket[r.bucket.colour]);
      row.commit();
      await write(csv, csvLine(cells));
      count++;
    }
  };
  try {
    await write(csv, csvLine(headers));
    if (!firstBatch.done) await writeBatch(firstBatch.value);
    for (;;) {
      checkWorkbook(); // stop reading the database once the workbook cannot be written
      const next = await batches.next();
      if (next.done) break;
      await writeBatch(next.value);
    }
    await closeGuarded(csv);
  } catch (error) {
    csv.stream.destroy();
    throw error;
  }
  ws.commit();
  return count;
}
