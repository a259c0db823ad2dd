/**
 * Adding the chart copies the workbook's unchanged zip entries as they are (the same
 * compressed bytes, never inflated and deflated again) and replaces only the parts that
 * change; a file that is not a workbook fails with an error and leaves no temporary file.
 */
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { openAsBlob } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { BlobReader, Uint8ArrayWriter, ZipReader } from "@zip.js/zip.js";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addImageToXlsx } from "../../../src/reports/zip-image.ts";

interface RawEntry {
  crc: number;
  compressedSize: number;
  method: number;
  raw: Buffer;
}

/** Each entry's CRC, sizes and compressed bytes, read without decompressing. */
async function rawEntries(file: string): Promise<Map<string, RawEntry>> {
  const reader = new ZipReader(new BlobReader(await openAsBlob(file)), { useWebWorkers: false });
  try {
    const out = new Map<string, RawEntry>();
    for (const e of await reader.getEntries()) {
      if (e.directory) continue;
      const raw = await e.getData(new Uint8ArrayWriter(), { passThrough: true });
      out.set(e.filename.replace(/^\/+/, ""), {
        crc: e.signature ?? -1,
        compressedSize: e.compressedSize,
        method: e.compressionMethod ?? -1,
        raw: Buffer.from(raw),
      });
    }
    return out;
  } finally {
    await reader.close();
  }
}

describe("adding the chart to a streamed workbook", () => {
  let dir: string;
  let source: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "reclaim-zip-"));
    source = path.join(dir, "source.xlsx");
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: source, useStyles: true });
    wb.addWorksheet("Summary").addRow(["Summary"]).commit();
    const big = wb.addWorksheet("Dormant accounts");
    for (let i = 0; i < 20_000; i++) big.addRow([`User ${i}`, `user${i}@example.com`, i]).commit();
    big.commit();
    await wb.commit();
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("copies unchanged entries byte for byte and replaces only what changes", async () => {
    const file = path.join(dir, "with-chart.xlsx");
    await copyFile(source, file);
    const before = await rawEntries(file);
    const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
    await addImageToXlsx(file, 1, png, { col: 0, row: 3, widthPx: 900, heightPx: 500 });
    const after = await rawEntries(file);

    const changed = ["xl/worksheets/sheet1.xml", "[Content_Types].xml"];
    for (const [name, entry] of before) {
      if (changed.includes(name)) continue;
      const copy = after.get(name);
      expect(copy, name).toBeDefined();
      expect(copy!.method, name).toBe(entry.method);
      expect(copy!.crc, name).toBe(entry.crc);
      expect(copy!.compressedSize, name).toBe(entry.compressedSize);
      expect(copy!.raw.equals(entry.raw), `${name}: same compressed bytes`).toBe(true);
    }
    expect(before.get("xl/worksheets/sheet2.xml")!.compressedSize).toBeGreaterThan(100_000);

    const zip = await JSZip.loadAsync(await readFile(file));
    expect(await zip.file("xl/worksheets/sheet1.xml")!.async("string")).toContain(
      '<drawing r:id="rIdReclaimChart"/>',
    );
    expect(await zip.file("[Content_Types].xml")!.async("string")).toContain(
      "/xl/drawings/drawing1.xml",
    );
    expect(
      Buffer.from(await zip.file("xl/media/image1.png")!.async("uint8array")).equals(png),
    ).toBe(true);
    const read = await new ExcelJS.Workbook().xlsx.readFile(file);
    expect(read.getWorksheet("Summary")!.getImages()).toHaveLength(1);
    expect(read.getWorksheet("Dormant accounts")!.rowCount).toBe(20_000);
  });

  it("fails on a file that is not a workbook, and leaves no temporary file", async () => {
    const file = path.join(dir, "not-a-workbook.xlsx");
    await writeFile(file, "this is not a zip file");
    const png = Buffer.from("89504e47", "hex");
    await expect(
      addImageToXlsx(file, 1, png, { col: 0, row: 0, widthPx: 1, heightPx: 1 }),
    ).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
