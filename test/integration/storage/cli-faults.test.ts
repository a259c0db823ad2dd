/**
 * Disk faults through the real CLI: each write path (reports, outbox, embedded data dir)
 * prints one line naming the folder and the variable to change, leaves no temporary file,
 * and exits 1; never a stack trace, an unhandled 'error' event or a silent exit 13.
 * A full disk is simulated in the child by full-disk.preload.mjs (writes under a folder go
 * to /dev/full: the kernel's own ENOSPC); a path through a regular file gives a real ENOTDIR.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateToLatest } from "../../../src/db/migrate.ts";
import { startSimulator } from "../../../src/simulator/index.ts";
import { runCli, type CliResult } from "../../helpers/cli.ts";
import { crawlSimulator } from "../../helpers/crawl.ts";
import { testBackends, type SharedTestDatabase } from "../../helpers/database.ts";
import { storeReport } from "../../helpers/email-fixture.ts";

const PRELOAD = pathToFileURL(path.join(import.meta.dirname, "full-disk.preload.mjs")).href;
const tempDir = () => mkdtempSync(path.join(tmpdir(), "reclaim-cli-faults-"));

function fullDisk(folder: string): Record<string, string> {
  return { RECLAIM_TEST_FULL_DISK: folder, NODE_OPTIONS: `--import ${PRELOAD}` };
}

/** Exit 1 and exactly one line on stderr (no stack trace), matching `line`. */
function expectOneLine(result: CliResult, line: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  const lines = result.stderr.trim().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^reclaim: /);
  expect(lines[0]).toMatch(line);
}

/** A regular file with a would-be folder under it: every write there fails with ENOTDIR. */
function underAFile(): string {
  const dir = tempDir();
  writeFileSync(path.join(dir, "file"), "not a folder");
  return path.join(dir, "file", "sub");
}

describe("storage faults through the CLI", () => {
  let shared: SharedTestDatabase;
  const cwd = tempDir();
  beforeAll(async () => {
    // One database with a succeeded crawl and a stored report, used by every test: the real
    // server when there is one (each embedded open in a child costs seconds of WASM).
    shared = await testBackends().at(-1)!.shared();
    const sim = await startSimulator({ orgs: [{ users: 30, seed: "cli-faults" }], timeScale: 60 });
    const database = await shared.open();
    try {
      await migrateToLatest(database.db);
      expect((await crawlSimulator(database.db, sim, "bulk")).status).toBe("succeeded");
      await storeReport(database, tempDir());
    } finally {
      await database.close();
      await sim.close();
    }
  });
  afterAll(async () => {
    await shared?.drop();
  });

  it("report: a reports folder under a regular file is a configuration error, found before any work", async () => {
    const reportsDir = underAFile();
    const result = await runCli(["report"], {
      cwd,
      env: { ...shared.env, RECLAIM_REPORTS_DIR: reportsDir },
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(
      `RECLAIM_REPORTS_DIR (or --reports-dir) ${reportsDir} cannot be created: ${path.dirname(reportsDir)} is a file, not a folder`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("report: a full disk leaves no partial workbook, CSV or chart file", async () => {
    const reportsDir = path.join(tempDir(), "reports");
    await mkdir(reportsDir);
    const result = await runCli(["report"], {
      cwd,
      env: { ...shared.env, RECLAIM_REPORTS_DIR: reportsDir, ...fullDisk(reportsDir) },
    });
    expectOneLine(
      result,
      new RegExp(
        `cannot write the report in ${reportsDir}: the disk is full \\(ENOSPC\\).*RECLAIM_REPORTS_DIR`,
      ),
    );
    expect(await readdir(reportsDir)).toEqual([]);
  });

  it("email: a full disk under the outbox leaves no partial .eml", async () => {
    const reportsDir = path.join(tempDir(), "reports");
    const outbox = path.join(reportsDir, "outbox");
    await mkdir(outbox, { recursive: true });
    const result = await runCli(["email"], {
      cwd,
      env: {
        ...shared.env,
        REPORT_TO: "admin@example.com",
        RECLAIM_REPORTS_DIR: reportsDir,
        ...fullDisk(outbox),
      },
    });
    expectOneLine(
      result,
      new RegExp(
        `cannot write the email to the outbox in ${outbox}: the disk is full \\(ENOSPC\\).*RECLAIM_REPORTS_DIR`,
      ),
    );
    expect(await readdir(outbox)).toEqual([]);
  });

  it("the embedded data dir under a regular file", async () => {
    const dataDir = underAFile();
    const result = await runCli(["email"], {
      cwd,
      env: { RECLAIM_DATA_DIR: dataDir, REPORT_TO: "admin@example.com" },
    });
    expectOneLine(
      result,
      new RegExp(
        `cannot write the embedded database in ${dataDir}: .*\\(ENOTDIR\\).*RECLAIM_DATA_DIR`,
      ),
    );
  });

  it("the embedded data dir on a full disk: one line, and no half-made folder left", async () => {
    const parent = tempDir();
    const dataDir = path.join(parent, "data");
    const result = await runCli(["email"], {
      cwd,
      env: { RECLAIM_DATA_DIR: dataDir, REPORT_TO: "admin@example.com", ...fullDisk(parent) },
    });
    expectOneLine(
      result,
      new RegExp(
        `cannot write the embedded database in ${dataDir}: the disk is full \\(ENOSPC\\).*RECLAIM_DATA_DIR`,
      ),
    );
    expect(await readdir(parent)).toEqual([]);
  });
});
