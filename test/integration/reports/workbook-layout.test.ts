/**
 * The workbook as finance and admins meet it, read back by readers other than the one that
 * wrote it (SheetJS for widths, heights and number formats; exceljs for alignment; the XML
 * parts for print setup): headers that fit, formats on every count and amount, dates in the
 * org's time zone, print setup that fits pages, the chart on a page of its own, and the notes
 * about prices and misspelled price keys.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as XLSX from "xlsx";
import { loadConfig } from "../../../src/config/config.ts";
import type { DormantRow } from "../../../src/reports/rows.ts";
import { writeWorkbook } from "../../../src/reports/workbook.ts";
import { sheetXml as sheetXmlOf } from "../../helpers/xlsx-parts.ts";
import { DATA_AS_OF, fixtureRows, fixtureSummary } from "./fixtures.ts";

const LINE_PT = 15;
const SHEETS = ["Summary", "Dormant accounts", "Products", "Finance", "Trend", "About"];

/** Greedy word wrap by characters: an independent, simple model of how a header wraps. */
function lineCount(text: string, width: number): number {
  const perLine = Math.floor(width - 1);
  let lines = 1;
  let used = 0;
  for (const word of text.split(/\s+/)) {
    if (used === 0) used = word.length;
    else if (used + 1 + word.length <= perLine) used += 1 + word.length;
    else {
      lines++;
      used = word.length;
    }
  }
  return lines;
}

function excelSerial(isoWallClock: string): number {
  return Date.parse(`${isoWallClock}Z`) / 86_400_000 + 25_569;
}

async function write(
  dir: string,
  options: { currency?: string; timezone?: string; rows?: number; unmatched?: string[] } = {},
) {
  const summary = fixtureSummary({
    crawls: 3,
    currency: options.currency,
    unmatchedPriceKeys: options.unmatched,
  });
  const base = loadConfig({}, {}, "/nonexistent").report;
  const config = { ...base, timezone: options.timezone ?? "UTC", currency: summary.currency };
  const rows = fixtureRows(summary, options.rows ?? 300);
  const workbookPath = path.join(dir, `wb-${options.currency ?? "USD"}.xlsx`);
  await writeWorkbook({
    workbookPath,
    summary,
    config,
    reportId: 7,
    dormant: {
      csvPath: path.join(dir, `wb-${options.currency ?? "USD"}.csv`),
      columns: summary.products.map((p) => ({
        productKey: p.productKey,
        resourceId: p.resourceId,
        header: p.label,
      })),
      rows: async function* (): AsyncIterable<DormantRow[]> {
        for (let i = 0; i < rows.length; i += 100)
          yield await Promise.resolve(rows.slice(i, i + 100));
      },
    },
  });
  const buffer = await readFile(workbookPath);
  return {
    summary,
    buffer,
    book: XLSX.read(buffer, { cellStyles: true, cellNF: true }),
    zip: await JSZip.loadAsync(buffer),
    exceljs: await new ExcelJS.Workbook().xlsx.readFile(workbookPath),
  };
}

type Written = Awaited<ReturnType<typeof write>>;

function cellAt(ws: XLSX.WorkSheet, r: number, c: number): XLSX.CellObject | undefined {
  return ws[XLSX.utils.encode_cell({ r, c })] as XLSX.CellObject | undefined;
}

function headerRow(ws: XLSX.WorkSheet, r = 0): string[] {
  const range = XLSX.utils.decode_range(ws["!ref"]!);
  const out: string[] = [];
  for (let c = 0; c <= range.e.c; c++) {
    const v = cellAt(ws, r, c)?.v;
    if (v === undefined) break;
    out.push(String(v));
  }
  return out;
}

/** The 0-based row whose column A reads `text`. */
function rowOf(ws: XLSX.WorkSheet, text: string): number {
  const range = XLSX.utils.decode_range(ws["!ref"]!);
  for (let r = 0; r <= range.e.r; r++) if (cellAt(ws, r, 0)?.v === text) return r;
  throw new Error(`no row "${text}"`);
}

async function sheetXml(w: Written, name: string): Promise<string> {
  return sheetXmlOf(w.zip, name);
}

function expectHeadersFit(w: Written, sheet: string, r = 0): void {
  const ws = w.book.Sheets[sheet]!;
  const cols = ws["!cols"] ?? [];
  const height = ws["!rows"]?.[r]?.hpt ?? LINE_PT;
  const titles = headerRow(ws, r);
  expect(titles.length, sheet).toBeGreaterThan(1);
  titles.forEach((title, c) => {
    const width = cols[c]?.width ?? cols[c]?.wch;
    expect(width, `${sheet} column ${c + 1} has a width`).toBeDefined();
    for (const word of title.split(/\s+/)) {
      expect(word.length, `"${word}" of "${title}" in ${sheet}`).toBeLessThanOrEqual(width! - 1);
    }
    const lines = lineCount(title, width!);
    expect(lines * LINE_PT, `"${title}" in ${sheet}: ${lines} lines`).toBeLessThanOrEqual(height);
    if (lines > 1) {
      const cell = w.exceljs
        .getWorksheet(sheet)!
        .getRow(r + 1)
        .getCell(c + 1);
      expect(cell.alignment?.wrapText, `"${title}" wraps`).toBe(true);
    }
  });
}

describe("workbook layout", () => {
  let dir: string;
  let usd: Written;
  let eur: Written;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "reclaim-layout-"));
    usd = await write(dir, { timezone: "America/New_York", unmatched: ["jira-sofware"] });
    eur = await write(dir, { currency: "EUR", rows: 20 });
  }, 60_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("fits every header in its column (wrapped where long, the row tall enough)", () => {
    for (const sheet of ["Dormant accounts", "Products", "Finance", "Trend", "About"]) {
      expectHeadersFit(usd, sheet);
    }
    expectHeadersFit(usd, "Summary", rowOf(usd.book.Sheets.Summary!, "Product"));
  });

  it("sizes data columns to their content", () => {
    const ws = usd.book.Sheets["Dormant accounts"]!;
    const titles = headerRow(ws);
    const cols = ws["!cols"]!;
    const email = titles.indexOf("Email");
    expect(cols[email]!.width).toBeGreaterThanOrEqual(30);
    const products = usd.book.Sheets.Products!;
    const labels = headerRow(products).indexOf("Product");
    const longest = Math.max(...usd.summary.products.map((p) => p.label.length));
    expect(products["!cols"]![labels]!.width).toBeGreaterThanOrEqual(Math.min(longest, 44));
  });

  it("formats counts with thousands separators and money in the report currency", () => {
    const products = usd.book.Sheets.Products!;
    const titles = headerRow(products);
    const seats = titles.indexOf("Seats");
    const price = titles.findIndex((t) => t.startsWith("Price / seat"));
    const reclaim = titles.findIndex((t) => t.startsWith("Reclaimable"));
    for (let r = 1; r <= usd.summary.products.length + 1; r++) {
      expect(cellAt(products, r, seats)?.z).toBe("#,##0");
      expect(cellAt(products, r, reclaim)?.z).toBe('"$"#,##0.00');
      if (r <= usd.summary.products.length)
        expect(cellAt(products, r, price)?.z).toBe('"$"#,##0.00');
    }
    expect(cellAt(products, 1, seats)?.w).toBe("200");
    expect(cellAt(products, 2, seats)?.w).toBe("1,597");

    const finance = usd.book.Sheets.Finance!;
    for (let c = 1; c <= 5; c++) {
      expect(cellAt(finance, 1, c)?.z).toBe(c === 3 ? "#,##0" : '"$"#,##0.00');
    }
    const summary = usd.book.Sheets.Summary!;
    expect(cellAt(summary, rowOf(summary, "Dormant seats"), 1)?.z).toBe("#,##0");
    expect(cellAt(summary, rowOf(summary, "Projected monthly savings (USD)"), 1)?.z).toBe(
      '"$"#,##0.00',
    );

    const dormant = usd.book.Sheets["Dormant accounts"]!;
    const dt = headerRow(dormant);
    const lastActive = dt.findIndex((t) => t.startsWith("Last active:"));
    expect(cellAt(dormant, 1, dt.indexOf("Days idle"))?.z).toBe("#,##0");
    expect(cellAt(dormant, 1, dt.indexOf("Added to org"))?.z).toBe("yyyy-mm-dd");
    // Row 2 (i = 1) was active in the first product: a real date with a date-time format.
    expect(cellAt(dormant, 2, lastActive)?.t).toBe("n");
    expect(cellAt(dormant, 2, lastActive)?.z).toBe("yyyy-mm-dd hh:mm");

    const euro = eur.book.Sheets.Products!;
    const euroTitles = headerRow(euro);
    expect(euroTitles).toContain("Price / seat / month (EUR)");
    expect(cellAt(euro, 1, euroTitles.indexOf("Reclaimable / month (EUR)"))?.z).toBe('"€"#,##0.00');
  });

  it("says where prices come from and which price keys match nothing", () => {
    const text = (sheet: string) =>
      JSON.stringify(XLSX.utils.sheet_to_json(usd.book.Sheets[sheet]!, { header: 1 }));
    for (const sheet of ["Summary", "About", "Finance"]) {
      expect(text(sheet), sheet).toContain('\\"jira-sofware\\" matches no product of this org');
    }
    expect(text("Summary")).toContain("Atlassian's list price in USD");
    const euro = eur.book.Sheets.Products!;
    const from = headerRow(euro).indexOf("Price from");
    expect(cellAt(euro, 1, from)?.v).toBe("none: set report.pricesPerSeatMonthly.jira-software");
    const euroSummary = JSON.stringify(
      XLSX.utils.sheet_to_json(eur.book.Sheets.Summary!, { header: 1 }),
    );
    expect(euroSummary).toContain("list prices are in USD and this report is in EUR");
    expect(euroSummary).not.toContain("matches no product");
  });

  it("writes times as Excel dates in the org's time zone, and names the zone", () => {
    const about = usd.book.Sheets.About!;
    const r = rowOf(about, "Data as of (America/New_York)");
    // 12:00 UTC on 28 November is 07:00 in New York (EST).
    expect(cellAt(about, r, 1)?.t).toBe("n");
    expect(cellAt(about, r, 1)?.v).toBeCloseTo(excelSerial("2026-11-28T07:00:00"), 6);
    const trend = usd.book.Sheets.Trend!;
    expect(headerRow(trend)[1]).toBe("Finished (America/New_York)");
    expect(cellAt(trend, 3, 1)?.v).toBeCloseTo(excelSerial("2026-11-28T07:00:00"), 6);
    expect(DATA_AS_OF).toBe("2026-11-28T12:00:00.000Z");
  });

  it("prints each sheet fitted to the page width, landscape when wide, with repeated headers", async () => {
    const workbookXml = (await usd.zip.file("xl/workbook.xml")!.async("string")).replace(
      /&apos;/g,
      "'",
    );
    for (const sheet of SHEETS.slice(1)) {
      const xml = await sheetXml(usd, sheet);
      expect(xml, sheet).toMatch(/<pageSetUpPr fitToPage="1"\/>/);
      const setup = /<pageSetup [^>]*>/.exec(xml)![0];
      expect(setup, sheet).toMatch(/fitToHeight="0"/);
      const widthPx = [...xml.matchAll(/<col min="(\d+)" max="(\d+)" width="([\d.]+)"/g)].reduce(
        (a, m) => a + (Number(m[2]) - Number(m[1]) + 1) * (Number(m[3]) * 7 + 5),
        0,
      );
      expect(setup, sheet).toContain(`orientation="${widthPx > 660 ? "landscape" : "portrait"}"`);
      const pagesWide = Number(/fitToWidth="(\d+)"/.exec(setup)![1]);
      // Never smaller than 70 % of its size on paper: wide sheets print several pages wide.
      expect((pagesWide * 900) / widthPx, sheet).toBeGreaterThanOrEqual(0.7);
      const id = SHEETS.indexOf(sheet);
      const titles = new RegExp(
        `<definedName name="_xlnm.Print_Titles" localSheetId="${id}">([^<]*)</definedName>`,
      ).exec(workbookXml);
      expect(titles?.[1], sheet).toContain(`'${sheet}'!$1:$1`);
    }
    const dormant = /<pageSetup [^>]*>/.exec(await sheetXml(usd, "Dormant accounts"))![0];
    expect(Number(/fitToWidth="(\d+)"/.exec(dormant)![1])).toBeGreaterThan(1);
    expect(workbookXml).toContain("'Dormant accounts'!$A:$A");
  });

  it("keeps the chart on a printed page of its own, within the page", async () => {
    const xml = await sheetXml(usd, "Summary");
    const brk = Number(/<brk id="(\d+)"/.exec(xml)![1]);
    const drawing = await usd.zip.file("xl/drawings/drawing1.xml")!.async("string");
    const row = Number(/<xdr:row>(\d+)<\/xdr:row>/.exec(drawing)![1]);
    expect(row).toBe(brk); // 0-based anchor row = the first row after the break
    const [cx, cy] = /<xdr:ext cx="(\d+)" cy="(\d+)"/
      .exec(drawing)!
      .slice(1)
      .map((v) => Number(v) / 9525);
    const scale = Number(/<pageSetup [^>]*scale="(\d+)"/.exec(xml)![1]) / 100;
    expect(xml).toMatch(/orientation="landscape"/);
    expect(cx! * scale).toBeLessThanOrEqual(900);
    expect(cy! * scale).toBeLessThanOrEqual(630);
    const widthPx = [...xml.matchAll(/<col min="(\d+)" max="(\d+)" width="([\d.]+)"/g)].reduce(
      (a, m) => a + (Number(m[2]) - Number(m[1]) + 1) * (Number(m[3]) * 7 + 5),
      0,
    );
    expect(widthPx * scale).toBeLessThanOrEqual(900);
  });

  it("styles the Summary as a summary: one font, headline figures larger", () => {
    const ws = usd.exceljs.getWorksheet("Summary")!;
    const fonts = new Set<string>();
    ws.eachRow((row) => row.eachCell((cell) => fonts.add(cell.font?.name ?? "Calibri")));
    expect([...fonts]).toEqual(["Calibri"]);
    let headline: ExcelJS.Cell | undefined;
    let plain: ExcelJS.Cell | undefined;
    ws.eachRow((row) => {
      if (row.getCell(1).value === "Dormant seats") headline = row.getCell(2);
      if (row.getCell(1).value === "Billable seats") plain = row.getCell(2);
    });
    expect(headline?.font?.size).toBeGreaterThan(plain?.font?.size ?? 11);
    expect(headline?.font?.bold).toBe(true);
    const sites = XLSX.utils.sheet_to_json<unknown[]>(usd.book.Sheets.Summary!, { header: 1 });
    const header = sites.findIndex((r) => r[0] === "Product");
    expect(sites[header]).toEqual([
      "Product",
      "Site",
      "Seats",
      "Active",
      "In grace",
      "Dormant",
      "Never active",
    ]);
    expect(sites[header + 2]?.[1]).toBe("acme-eu.atlassian.net");
  });
});
