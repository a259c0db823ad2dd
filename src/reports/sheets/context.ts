/** What every sheet writer of the workbook shares, and the row helpers they write with. */
import type ExcelJS from "exceljs";
import type { ReportConfig } from "../../config/sections/report.ts";
import { wrapText } from "../sheet-layout.ts";
import { LINE_PT, styleCell, type SheetStyles } from "../styles.ts";
import type { ReportSummary } from "../summary.ts";

export type Writer = ExcelJS.stream.xlsx.WorkbookWriter;
export type Worksheet = ExcelJS.Worksheet;
type Style = SheetStyles[keyof Omit<SheetStyles, "bucket">];

/** What every sheet writer shares; the Dormant accounts sheet needs no more than this. */
export interface SheetBase {
  wb: Writer;
  config: ReportConfig;
  styles: SheetStyles;
  /** The org's IANA time zone: every date and time cell is its wall-clock time there. */
  timeZone: string;
  /** Printed at the top of every page. */
  heading: string;
  reportId: number | null | undefined;
}

/** The sheets of figures also read the report's summary. */
export interface SheetContext extends SheetBase {
  summary: ReportSummary;
}

/**
 * Adds and commits one row, giving cell i `styles[i]` (one style for all cells when a single
 * style is given; the default style where none is), with a page break after it when asked;
 * returns the row's number.
 */
export function addRow(
  ws: Worksheet,
  values: readonly ExcelJS.CellValue[],
  styles: Style | readonly (Style | undefined)[],
  heightPt?: number,
  pageBreakAfter = false,
): number {
  const row = ws.addRow([...values]);
  values.forEach((_, i) => {
    const s = Array.isArray(styles) ? (styles as (Style | undefined)[])[i] : (styles as Style);
    if (s !== undefined) styleCell(row.getCell(i + 1), s);
  });
  if (heightPt !== undefined) row.height = heightPt;
  if (pageBreakAfter) row.addPageBreak();
  row.commit();
  return row.number;
}

/**
 * Writes `text` as lines of at most `widthUnits` (one row each, in column A), so that a long
 * note reads in full on screen and on paper without a merged or very tall cell; returns the
 * number of its last row.
 */
export function addNote(
  ws: Worksheet,
  text: string,
  widthUnits: number,
  style: Style,
  pageBreakAfter = false,
): number {
  const lines = wrapText(text, widthUnits);
  let last = 0;
  lines.forEach((line, i) => {
    last = addRow(ws, [line], style, undefined, pageBreakAfter && i === lines.length - 1);
  });
  return last;
}

/** Row height in points for a cell of `text` wrapped at `widthUnits`. */
export function wrappedHeight(text: string, widthUnits: number): number {
  return wrapText(text, widthUnits).length * LINE_PT + 3;
}

/** Excel column letters for a 1-based column number. */
export function colLetter(n: number): string {
  let s = "";
  let x = n;
  while (x > 0) {
    const m = (x - 1) % 26;
    s = String.fromCharCode(65 + m) + s;
    x = Math.floor((x - 1) / 26);
  }
  return s;
}

/** "https://acme.atlassian.net/" → "acme.atlassian.net"; "—" for a product without a site. */
export function siteText(url: string | null): string {
  return url === null ? "—" : url.replace(/^https?:\/\//, "").replace(/\/+$/, "");
}
