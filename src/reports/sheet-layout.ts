/**
 * Column widths from content, wrapped header rows and print setup for the workbook's sheets.
 * Widths are in Excel's unit (the width of "0" in the default 11-pt font, ~7 px); text is
 * estimated per character, erring wide, since a streamed sheet must fix its widths before
 * its first row and nothing can measure the font the reader will use.
 */
import type ExcelJS from "exceljs";
import { LINE_PT } from "./styles.ts";

/** Estimated width of `text` in Excel width units (never less than one unit per character). */
export function textWidth(text: string, bold = false): number {
  let w = 0;
  for (const ch of text) {
    if ("mwMW@%".includes(ch)) w += 1.5;
    else if (ch >= "A" && ch <= "Z") w += 1.15;
    else if (ch.charCodeAt(0) > 0x7f) w += "—–…≥≤".includes(ch) ? 1.6 : 1.15;
    else w += 1;
  }
  return bold ? w * 1.08 : w;
}

/** Greedy word wrap of `text` into lines of at most `width` units; long words get a line each. */
export function wrapText(text: string, width: number, bold = false): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line === "" ? word : `${line} ${word}`;
    if (line !== "" && textWidth(candidate, bold) > width) {
      lines.push(line);
      line = word;
    } else line = candidate;
  }
  lines.push(line);
  return lines;
}

/** Cell padding Excel leaves around text, in width units. */
const PAD = 2;

export interface ColumnPlan {
  /** The longest value expected in the column, in width units (see textWidth). */
  content: number;
  /** Never wider than this (longer values are cut at the cell edge; headers wrap). */
  max?: number;
}

export interface HeaderLayout {
  widths: number[];
  /** Height of the header row in points, enough for its most wrapped title. */
  heightPt: number;
}

/**
 * Widths for a header row and the content under it: each column fits its content and the
 * longest word of its title; a title longer than that wraps, in at most three lines.
 */
export function layoutHeader(
  titles: readonly string[],
  plans: readonly ColumnPlan[],
): HeaderLayout {
  let lines = 1;
  const widths = titles.map((title, i) => {
    const plan = plans[i] ?? { content: 8 };
    const longestWord = Math.max(...title.split(/\s+/).map((w) => textWidth(w, true)));
    let width = Math.max(plan.content, longestWord, Math.min(textWidth(title, true), 12)) + PAD;
    width = Math.min(width, Math.max(plan.max ?? 60, longestWord + PAD));
    // No header in more than three lines: widen the column instead.
    while (wrapText(title, width - PAD, true).length > 3) width += 2;
    lines = Math.max(lines, wrapText(title, width - PAD, true).length);
    // exceljs drops a column of width 9 (its default) from <cols>; Excel then uses 8.43.
    return Math.ceil(width) === 9 ? 10 : Math.ceil(width);
  });
  return { widths, heightPt: lines * LINE_PT + 3 };
}

/** Pixels a column of `width` units takes on screen and on paper (at 96 dpi). */
export function columnPx(width: number): number {
  return Math.round(width * 7 + 5);
}

/** Printable width and height in px at 96 dpi with Excel's default margins (Letter; A4 is wider). */
export const PRINTABLE = {
  portrait: { widthPx: 660, heightPx: 880 },
  landscape: { widthPx: 900, heightPx: 630 },
};

const FOOTER = "&L&A&RPage &P of &N";

/** `&` starts a code in Excel headers and footers; a literal one is doubled. */
function headerText(s: string): string {
  return s.replace(/&/g, "&&");
}

export interface PrintOptions {
  /** Sum of the column widths in px (columnPx). */
  widthPx: number;
  /** Shown at the top left of every page, e.g. the org and date. */
  heading: string;
  /** Repeat row 1 (the header row) on every page. */
  titleRow?: boolean;
  /** Columns repeated on every page (for sheets printed more than one page wide), e.g. "A:A". */
  titleColumns?: string;
  /** Print at most this many pages wide (default 1), never smaller than needed to stay legible. */
  pagesWide?: number;
}

export interface SheetPrint {
  pageSetup: Partial<ExcelJS.PageSetup>;
  headerFooter: Partial<ExcelJS.HeaderFooter>;
}

/**
 * Fit to width (`pagesWide` pages), as many pages down as the rows need, landscape when
 * the sheet is wider than a portrait page, header row repeated on each page.
 */
export function fitToWidth(o: PrintOptions): SheetPrint {
  const orientation = o.widthPx > PRINTABLE.portrait.widthPx ? "landscape" : "portrait";
  return {
    pageSetup: {
      orientation,
      fitToPage: true,
      fitToWidth: o.pagesWide ?? 1,
      fitToHeight: 0,
      ...(o.titleRow ? { printTitlesRow: "1:1" } : {}),
      ...(o.titleColumns !== undefined ? { printTitlesColumn: o.titleColumns } : {}),
      ...((o.pagesWide ?? 1) > 1 ? { pageOrder: "overThenDown" as const } : {}),
    },
    headerFooter: { oddHeader: `&L${headerText(o.heading)}`, oddFooter: FOOTER },
  };
}

/**
 * How many pages wide a sheet of `widthPx` must print, landscape, to stay at ≥ 75 % of its
 * size (text smaller than ~8 pt is hard to read on paper).
 */
export function pagesWideAt75(widthPx: number): number {
  return Math.max(1, Math.ceil((widthPx * 0.75) / PRINTABLE.landscape.widthPx));
}

/**
 * Fit to width, as many pages wide as keep ≥ 75 % size, with `titleColumns` (default column
 * A) repeated on each page when there is more than one.
 */
export function fitLegibly(o: Omit<PrintOptions, "pagesWide">): SheetPrint {
  const pagesWide = pagesWideAt75(o.widthPx);
  return fitToWidth({
    ...o,
    pagesWide,
    ...(pagesWide > 1 ? { titleColumns: o.titleColumns ?? "A:A" } : { titleColumns: undefined }),
  });
}

/**
 * A fixed scale instead of fitting, for a sheet with a manual page break (Excel and
 * LibreOffice ignore breaks when fitting to pages): as large as fits the page width.
 */
export function scaledToWidth(o: PrintOptions, orientation: "portrait" | "landscape"): SheetPrint {
  const scale = Math.min(100, Math.floor((PRINTABLE[orientation].widthPx / o.widthPx) * 100));
  return {
    pageSetup: { orientation, scale: Math.max(10, scale), fitToPage: false },
    headerFooter: { oddHeader: `&L${headerText(o.heading)}`, oddFooter: FOOTER },
  };
}
