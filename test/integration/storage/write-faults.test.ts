/**
 * Disk faults on every write path, in-process: the workbook, its CSV, the finance copy, the
 * chart step (zip-image.ts) and the outbox. Tests run as root, where a read-only folder does
 * not stop writes, and no tiny file system can be mounted, so a full disk is simulated at the
 * narrowest seam: `createWriteStream` for the chosen temporary file creates the file (as a
 * real disk would) and returns a stream to /dev/full, where every write fails with the
 * kernel's own ENOSPC. A path through a regular file gives a real ENOTDIR.
 */
import type * as NodeFs from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import yauzl from "yauzl";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { sendWeeklyEmail } from "../../../src/email/send-weekly.ts";
import { buildReports } from "../../../src/reports/build-report.ts";
import { addImageToXlsx } from "../../../src/reports/zip-image.ts";
import { fixedClock } from "../../../src/shared/clock.ts";
import { StorageError } from "../../../src/shared/storage.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { crawlSimulator } from "../../helpers/crawl.ts";
import { testBackends } from "../../helpers/database.ts";
import { emailDepsFor, storeReport } from "../../helpers/email-fixture.ts";
import { reportRuntime } from "../../helpers/report-fixture.ts";

/** The temporary file the next writes must fail on, as a pattern of its path. */
const fullDisk: { file: RegExp | null } = vi.hoisted(() => ({ file: null }));

vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof NodeFs>();
  const createWriteStream: typeof fs.createWriteStream = (file, options) => {
    if (fullDisk.file?.test(String(file))) {
      fs.closeSync(fs.openSync(file, "wx"));
      return fs.createWriteStream("/dev/full", { flags: "w" });
    }
    return fs.createWriteStream(file, options);
  };
  return { ...fs, default: { ...fs, createWriteStream }, createWriteStream };
});

afterEach(() => {
  fullDisk.file = null;
});

const tempDir = (prefix = "reclaim-faults-") => mkdtemp(path.join(tmpdir(), prefix));

function expectOneLine(error: unknown, folder: string, setting: RegExp, code: string): void {
  expect(error).toBeInstanceOf(StorageError);
  const message = (error as Error).message;
  expect(message).not.toContain("\n");
  expect(message).toContain(folder);
  expect(message).toMatch(setting);
  expect(message).toContain(code);
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );

describe("report write faults", () => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;
  beforeAll(async () => {
    sim = await startSimulator({ orgs: [{ users: 40, seed: "faults" }], timeScale: 60 });
    database = await testBackends()[0]!.open();
    expect((await crawlSimulator(database.db, sim, "bulk")).status).toBe("succeeded");
  });
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  async function build(file: RegExp | null) {
    const runtime = await reportRuntime(database, fixedClock(new Date(Date.now() + 60_000)));
    fullDisk.file = file;
    const error = await rejection(buildReports(runtime));
    fullDisk.file = null;
    return { error, dir: runtime.reportsDir };
  }

  it.each([
    ["the workbook", /\d\.xlsx\.[^/]+\.partial$/],
    ["the CSV", /\.csv\.[^/]+\.partial$/],
    ["the finance copy", /-finance\.xlsx\.[^/]+\.partial$/],
    ["the chart step", /\.partial\.[^/]+\.tmp$/],
  ])(
    "a full disk while writing %s: one line naming the folder and variable, no file left",
    async (_what, file) => {
      const { error, dir } = await build(file);
      expectOneLine(error, dir, /RECLAIM_REPORTS_DIR/, "ENOSPC");
      expect(await readdir(dir)).toEqual([]);
      const recorded = await database.db.selectFrom("report_runs").selectAll().execute();
      expect(recorded).toEqual([]);
    },
  );

  it("a reports folder under a regular file: one line naming it (ENOTDIR)", async () => {
    const parent = await tempDir();
    await writeFile(path.join(parent, "file"), "not a folder");
    const runtime = await reportRuntime(database, fixedClock(new Date(Date.now() + 60_000)));
    const outDir = path.join(parent, "file", "reports");
    const error = await rejection(buildReports(runtime, { outDir }));
    expectOneLine(error, outDir, /--out/, "ENOTDIR");
  });

  it("two builds of the same report at once never share a temporary file", async () => {
    const runtime = await reportRuntime(database, fixedClock(new Date(Date.now() + 60_000)));
    const [a, b] = await Promise.all([buildReports(runtime), buildReports(runtime)]);
    expect(a[0]!.workbookPath).toBe(b[0]!.workbookPath);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(a[0]!.workbookPath);
    expect(wb.worksheets.map((w) => w.name)).toContain("Dormant accounts");
    expect((await readdir(runtime.reportsDir)).filter((f) => /partial|tmp/.test(f))).toEqual([]);
  });
});

describe("the chart step (zip-image.ts)", () => {
  const png = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
    "base64",
  );
  const anchor = { col: 0, row: 2, widthPx: 10, heightPx: 10 };

  /** A real workbook with two sheets, big enough that the second is streamed through. */
  async function workbook(): Promise<string> {
    const file = path.join(await tempDir(), "book.xlsx");
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet("Summary").addRow(["Dormant", 1]);
    const big = wb.addWorksheet("Big");
    for (let i = 0; i < 2000; i++) big.addRow([`user-${i}`, i, new Date(0)]);
    await wb.xlsx.writeFile(file);
    return file;
  }

  /** Overwrites the start of one entry's compressed data: reading it fails to inflate. */
  async function corruptEntry(file: string, entryName: string): Promise<{ data: Buffer }> {
    const zip = await yauzl.openPromise(file, { lazyEntries: true });
    let offset = -1;
    let size = 0;
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName === entryName) {
        offset = entry.relativeOffsetOfLocalHeader;
        size = entry.compressedSize;
      }
    }
    zip.close();
    expect(offset).toBeGreaterThanOrEqual(0);
    const bytes = await readFile(file);
    const dataStart =
      offset + 30 + bytes.readUInt16LE(offset + 26) + bytes.readUInt16LE(offset + 28);
    bytes.fill(0xff, dataStart, dataStart + 16); // deflate block type 3: invalid
    await writeFile(file, bytes);
    return { data: Buffer.from(bytes.subarray(dataStart, dataStart + size)) };
  }

  async function expectFailsCleanly(file: string): Promise<void> {
    const before = await readFile(file);
    const error = await rejection(addImageToXlsx(file, 1, png, anchor));
    expect(error).toBeInstanceOf(Error);
    expect(await readdir(path.dirname(file))).toEqual([path.basename(file)]);
    expect((await readFile(file)).equals(before)).toBe(true);
  }

  it("settles and removes its temporary file when a sheet it edits cannot be read", async () => {
    const file = await workbook();
    await corruptEntry(file, "xl/worksheets/sheet1.xml");
    await expectFailsCleanly(file);
  });

  it("copies a sheet it does not change byte for byte: never inflated, so never re-compressed", async () => {
    const file = await workbook();
    const { data } = await corruptEntry(file, "xl/worksheets/sheet2.xml");
    await addImageToXlsx(file, 1, png, anchor);
    // The unchanged sheet's compressed bytes (corrupt ones included) are in the result as they were.
    expect((await readFile(file)).indexOf(data)).toBeGreaterThan(0);
    expect(await readdir(path.dirname(file))).toEqual([path.basename(file)]);
  });

  it("settles when the input is not a zip at all", async () => {
    const file = path.join(await tempDir(), "book.xlsx");
    await writeFile(file, "not a zip");
    await expectFailsCleanly(file);
  });

  it("settles and removes its temporary file when the disk is full", async () => {
    const file = await workbook();
    fullDisk.file = /book\.xlsx\.[^/]+\.tmp$/;
    const error = await rejection(addImageToXlsx(file, 1, png, anchor));
    expect((error as { code?: string }).code).toBe("ENOSPC");
    expect(await readdir(path.dirname(file))).toEqual(["book.xlsx"]);
  });
});

describe("outbox write faults", () => {
  let database: ReclaimDatabase;
  beforeAll(async () => {
    database = await testBackends()[0]!.open();
  });
  afterAll(async () => {
    await database?.close();
  });

  it("a full disk: one line naming the outbox and variable, no partial .eml, recorded as failed", async () => {
    const deps = await emailDepsFor(database, { REPORT_TO: "admin@example.com" });
    await storeReport(database, deps.reportsDir);
    fullDisk.file = /\.eml\.[^/]+\.tmp$/;
    const error = await rejection(sendWeeklyEmail(deps));
    fullDisk.file = null;
    const outbox = path.join(deps.reportsDir, "outbox");
    expectOneLine(error, outbox, /RECLAIM_REPORTS_DIR/, "ENOSPC");
    expect(await readdir(outbox)).toEqual([]);
    const row = await database.db
      .selectFrom("email_deliveries")
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.status).toBe("failed");
    // Retryable at once: the next run writes it whole.
    const retry = await sendWeeklyEmail(deps);
    expect(retry.map((o) => o.status)).toEqual(["written"]);
    expect((await readdir(outbox)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
