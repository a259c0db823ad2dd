/**
 * The workbook's cell styles: one font family throughout, and each style one frozen object
 * shared by every cell that uses it. exceljs caches a style's id by object identity, so a
 * shared object is looked up once per workbook instead of being serialised and matched for
 * every cell (as a fresh `{}` per cell would be).
 */
import type ExcelJS from "exceljs";
import type { BucketColour } from "../rules/index.ts";
import { COUNT, DATE, DATE_TIME, moneyFormat } from "./formats.ts";
import { BUCKET_FILLS } from "./model.ts";

type Style = Readonly<Partial<ExcelJS.Style>>;

/** Calibri is what Excel shows by default; LibreOffice substitutes the metric-equal Carlito. */
export const FONT_NAME = "Calibri";
export const FONT_SIZE = 11;
/** Points per line of 11-pt text, for row heights of wrapped cells. */
export const LINE_PT = 15;

const NAVY = "FF1F3B57";
const font = (extra: Partial<ExcelJS.Font> = {}): Partial<ExcelJS.Font> =>
  Object.freeze({ name: FONT_NAME, size: FONT_SIZE, ...extra });
const solid = (argb: string): ExcelJS.Fill =>
  Object.freeze({ type: "pattern", pattern: "solid", fgColor: { argb } });
const style = (s: Partial<ExcelJS.Style>): Style => Object.freeze({ font: font(), ...s });

const LEFT = Object.freeze({ horizontal: "left" }) as Partial<ExcelJS.Alignment>;
const RIGHT = Object.freeze({ horizontal: "right" }) as Partial<ExcelJS.Alignment>;
const CENTRE = Object.freeze({ horizontal: "center" }) as Partial<ExcelJS.Alignment>;
/** No font or format: exceljs maps it to the default style (Calibri 11), so empty cells stay bare. */
const PLAIN: Style = Object.freeze({});
const WRAP_TOP = Object.freeze({ wrapText: true, vertical: "top" }) as Partial<ExcelJS.Alignment>;
const TOP = Object.freeze({ vertical: "top" }) as Partial<ExcelJS.Alignment>;
const BODY_FONT = font();
const WARNING_FONT = font({ bold: true, color: { argb: "FFB91C1C" } });
const BOLD_FONT = font({ bold: true });
const THIN_TOP = Object.freeze({
  top: { style: "thin", color: { argb: "FF9CA3AF" } },
}) as Partial<ExcelJS.Borders>;

export interface SheetStyles {
  /** Header row: white bold on navy, wrapped, top-aligned. */
  header: Style;
  text: Style;
  wrapped: Style;
  bold: Style;
  /** Bold, top-aligned: the label beside a wrapped explanation. */
  term: Style;
  count: Style;
  money: Style;
  date: Style;
  dateTime: Style;
  /** A date-time column that also holds words ("never"): right-aligned like the dates. */
  lastActive: Style;
  /** Short words in a column of their own ("yes", "no"): centred. */
  centred: Style;
  /** Total rows: bold with a rule above. */
  totalLabel: Style;
  totalCount: Style;
  totalMoney: Style;
  title: Style;
  subtitle: Style;
  section: Style;
  /** Headline figures on the Summary. */
  headlineLabel: Style;
  headlineCount: Style;
  headlineMoney: Style;
  /** Values in a label/value list: left-aligned whatever their type. */
  valueText: Style;
  valueCount: Style;
  valueDateTime: Style;
  /** Data cells without formatting: the workbook's default style, shared. */
  plain: Style;
  /** A warning the reader must act on (e.g. a misspelled price key). */
  warning: Style;
  warningWrapped: Style;
  note: Style;
  bucket: Record<BucketColour, Style>;
}

const cache = new Map<string, SheetStyles>();

/** The styles for a workbook whose money is in `currency` (built once per currency). */
export function sheetStyles(currency: string): SheetStyles {
  let s = cache.get(currency);
  if (s !== undefined) return s;
  const money = moneyFormat(currency);
  const headline = font({ bold: true, size: 14, color: { argb: NAVY } });
  const headlineFill = solid("FFEFF4FA");
  s = Object.freeze({
    header: style({
      font: font({ bold: true, color: { argb: "FFFFFFFF" } }),
      fill: solid(NAVY),
      alignment: WRAP_TOP,
    }),
    text: style({ font: BODY_FONT }),
    wrapped: style({ font: BODY_FONT, alignment: WRAP_TOP }),
    bold: style({ font: BOLD_FONT }),
    term: style({ font: BOLD_FONT, alignment: TOP }),
    count: style({ numFmt: COUNT }),
    money: style({ numFmt: money }),
    date: style({ numFmt: DATE }),
    dateTime: style({ numFmt: DATE_TIME }),
    lastActive: style({ numFmt: DATE_TIME, alignment: RIGHT }),
    centred: style({ alignment: CENTRE }),
    totalLabel: style({ font: BOLD_FONT, border: THIN_TOP }),
    totalCount: style({ font: BOLD_FONT, numFmt: COUNT, border: THIN_TOP }),
    totalMoney: style({ font: BOLD_FONT, numFmt: money, border: THIN_TOP }),
    title: style({ font: font({ bold: true, size: 18, color: { argb: NAVY } }) }),
    subtitle: style({ font: font({ color: { argb: "FF4B5563" } }) }),
    section: style({ font: font({ bold: true, size: 13, color: { argb: NAVY } }) }),
    headlineLabel: style({ font: font({ bold: true }), fill: headlineFill }),
    headlineCount: style({ font: headline, numFmt: COUNT, fill: headlineFill }),
    headlineMoney: style({ font: headline, numFmt: money, fill: headlineFill }),
    valueText: style({ alignment: LEFT }),
    valueCount: style({ numFmt: COUNT, alignment: LEFT }),
    valueDateTime: style({ numFmt: DATE_TIME, alignment: LEFT }),
    plain: PLAIN,
    warning: style({ font: WARNING_FONT }),
    warningWrapped: style({ font: WARNING_FONT, alignment: WRAP_TOP }),
    note: style({ font: font({ italic: true, color: { argb: "FF4B5563" } }) }),
    bucket: Object.freeze(
      Object.fromEntries(
        Object.entries(BUCKET_FILLS).map(([colour, argb]) => [
          colour,
          style({ fill: solid(argb), alignment: CENTRE }),
        ]),
      ) as Record<BucketColour, Style>,
    ),
  });
  cache.set(currency, s);
  return s;
}

/** Puts a shared style on a cell (never mutated afterwards: it is frozen). */
export function styleCell(cell: ExcelJS.Cell, s: Style): void {
  cell.style = s;
}
