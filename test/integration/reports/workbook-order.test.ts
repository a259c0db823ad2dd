/**
 * The Dormant accounts sheet is written while the summary's figures are still being read, and
 * the Summary after it, yet the Summary is the first tab and carries the chart; a summary that
 * fails stops the sheet at its next batch.
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
import type { ReportSummary } from "../../../src/reports/summary.ts";
import { writeWorkbook, type WorkbookHeading } from "../../../src/reports/workbook.ts";
import { sheetPart, sheetXml } from "../../helpers/xlsx-parts.ts";
import { fixtureRows, fixtureSummary } from "./fixtures.ts";

const SHEETS = ["Summary", "Dormant accounts", "Products", "Finance", "Trend", "About"];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "reclaim-workbook-order-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function inputs(summary: ReportSummary, name: string) {
  const config = { ...loadConfig({}, {}, "/nonexistent").report, timezone: "UTC" };
  const heading: WorkbookHeading = {
    orgId: summary.orgId,
    orgName: summary.orgName,
    dataAsOf: summary.dataAsOf,
    generatedAt: summary.generatedAt,
    currency: summary.currency,
  };
  const columns = summary.products.map((p) => ({
    productKey: p.productKey,
    resourceId: p.resourceId,
    header: p.label,
  }));
  return {
    config,
    heading,
    columns,
    workbookPath: path.join(dir, `${name}.xlsx`),
    csvPath: path.join(dir, `${name}.csv`),
  };
}

describe("workbook sheet order", () => {
  it("writes every dormant row before the summary is known, and still opens on the Summary with its chart", async () => {
    const summary = fixtureSummary({ crawls: 2 });
    const rows = fixtureRows(summary, 250);
    const io = inputs(summary, "late-summary");
    let deliver!: (s: ReportSummary) => void;
    const late = new Promise<ReportSummary>((resolve) => (deliver = resolve));
    let batchesBeforeSummary = 0;
    let known = false;
    void late.then(() => (known = true));
    const result = await writeWorkbook({
      workbookPath: io.workbookPath,
      heading: io.heading,
      summary: late,
      config: io.config,
      reportId: 3,
      dormant: {
        csvPath: io.csvPath,
        columns: io.columns,
        rows: async function* (): AsyncIterable<DormantRow[]> {
          for (let i = 0; i < rows.length; i += 100) {
            if (!known) batchesBeforeSummary++;
            yield await Promise.resolve(rows.slice(i, i + 100));
          }
          deliver(summary); // the figures arrive only once the last row was handed over
        },
      },
    });
    expect(result.dormantRows).toBe(250);
    expect(batchesBeforeSummary).toBe(3);

    const buffer = await readFile(io.workbookPath);
    const book = XLSX.read(buffer);
    expect(book.SheetNames).toEqual(SHEETS);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buffer as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(SHEETS);
    expect(wb.getWorksheet("Summary")!.getImages()).toHaveLength(1);
    expect(wb.getWorksheet("Dormant accounts")!.getImages()).toHaveLength(0);
    expect(wb.getWorksheet("Dormant accounts")!.rowCount).toBe(251);

    const zip = await JSZip.loadAsync(buffer);
    // The Dormant accounts sheet's part was written first: its part is sheet1.xml.
    expect(await sheetPart(zip, "Dormant accounts")).toBe("xl/worksheets/sheet1.xml");
    expect(await sheetPart(zip, "Summary")).toBe("xl/worksheets/sheet2.xml");
    expect(await sheetXml(zip, "Summary")).toMatch(/<drawing r:id=/);
    // Print titles name their sheet by its tab position.
    const workbookXml = await zip.file("xl/workbook.xml")!.async("string");
    const titles = [
      ...workbookXml.matchAll(
        /name="_xlnm.Print_Titles" localSheetId="(\d+)">(?:'|&apos;)([^'&]+)(?:'|&apos;)!/g,
      ),
    ];
    expect(titles.length).toBeGreaterThan(0);
    for (const [, id, sheet] of titles) expect(SHEETS[Number(id)]).toBe(sheet);
    // No tab but the first is selected.
    expect(await sheetXml(zip, "Dormant accounts")).not.toMatch(/tabSelected="1"/);
  });

  it("a summary that fails stops the Dormant accounts sheet at its next batch, with that error", async () => {
    const summary = fixtureSummary({ crawls: 2 });
    const rows = fixtureRows(summary, 1000);
    const io = inputs(summary, "failed-summary");
    let fail!: (e: Error) => void;
    const failing = new Promise<ReportSummary>((_, reject) => (fail = reject));
    let handedOver = 0;
    const written = writeWorkbook({
      workbookPath: io.workbookPath,
      heading: io.heading,
      summary: failing,
      config: io.config,
      dormant: {
        csvPath: io.csvPath,
        columns: io.columns,
        rows: async function* (): AsyncIterable<DormantRow[]> {
          for (let i = 0; i < rows.length; i += 100) {
            if (i === 200) fail(new Error("the statistics query failed"));
            handedOver++;
            yield await Promise.resolve(rows.slice(i, i + 100));
          }
        },
      },
    });
    await expect(written).rejects.toThrow("the statistics query failed");
    expect(handedOver).toBeLessThanOrEqual(4);
  });
});
