/**
 * `reclaim email` through the real CLI: a sender killed with SIGKILL in the middle of a send
 * (the rerun takes its claim over at once and delivers exactly once), an SMTP server that
 * never answers (a bounded wait, one line, exit 1), exit codes for nothing to send and for
 * bad addresses.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { cp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../../src/db/connect.ts";
import { migrateToLatest } from "../../../src/db/migrate.ts";
import { REPO_ROOT, runCli } from "../../helpers/cli.ts";
import {
  describeEachBackend,
  testBackends,
  type SharedTestDatabase,
  type TestBackend,
} from "../../helpers/database.ts";
import { storeReport } from "../../helpers/email-fixture.ts";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp.ts";

const tempDir = () => mkdtempSync(path.join(tmpdir(), "reclaim-email-cli-"));

/** A database with one stored report, closed again so a CLI child can open it. */
async function withStoredReport(
  shared: SharedTestDatabase,
  reportsDir: string,
): Promise<{ reportId: number }> {
  const database = await shared.open();
  try {
    await migrateToLatest(database.db);
    return await storeReport(database, reportsDir);
  } finally {
    await database.close();
  }
}

async function ledger(shared: SharedTestDatabase) {
  const database = await shared.open();
  try {
    return await database.db.selectFrom("email_deliveries").selectAll().execute();
  } finally {
    await database.close();
  }
}

/**
 * Databases holding one stored report, one per test. Making an embedded one costs seconds
 * (initdb and migrations in WASM), so for PGlite one is made per suite and copied per test.
 */
async function seeded(backend: TestBackend) {
  const reportsDir = tempDir();
  if (backend.name === "postgres") {
    return {
      reportsDir,
      async next(): Promise<SharedTestDatabase> {
        const shared = await backend.shared();
        await withStoredReport(shared, reportsDir);
        return shared;
      },
      drop: () => Promise.resolve(),
    };
  }
  const template = await backend.shared();
  await withStoredReport(template, reportsDir);
  return {
    reportsDir,
    async next(): Promise<SharedTestDatabase> {
      const dataDir = path.join(tempDir(), "data");
      await cp(template.env.RECLAIM_DATA_DIR!, dataDir, { recursive: true });
      return {
        env: { RECLAIM_DATA_DIR: dataDir },
        open: () => openDatabase({ dataDir }),
        drop: () => rm(dataDir, { recursive: true, force: true }),
      };
    },
    drop: () => template.drop(),
  };
}

describeEachBackend("reclaim email (CLI)", (backend) => {
  let smtp: TestSmtpServer;
  let databases: Awaited<ReturnType<typeof seeded>>;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    databases = await seeded(backend);
  });
  afterAll(async () => {
    await smtp.close();
    await databases.drop();
  });

  it("a sender killed mid-send is taken over by the rerun at once, which delivers exactly once", async () => {
    const shared = await databases.next();
    const { reportsDir } = databases;
    try {
      const env = {
        ...shared.env,
        SMTP_URL: smtp.url,
        REPORT_TO: "admin@example.com",
        RECLAIM_REPORTS_DIR: reportsDir,
      };
      smtp.received.length = 0;
      smtp.hangNext(1);
      const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin/reclaim.js"), "email"], {
        cwd: tempDir(),
        env: { ...process.env, DATABASE_URL: undefined, ...env },
        stdio: "ignore",
      });
      const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
      await smtp.hung(); // the whole message is at the server, which has not answered
      child.kill("SIGKILL");
      await exited;

      const rerun = await runCli(["email"], { cwd: tempDir(), env });
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stdout).toMatch(/email for admins admin@example\.com .* sent/);
      expect(rerun.stderr).toMatch(new RegExp(`taking over .*pid ${child.pid}`));
      expect(smtp.received).toHaveLength(1);
      const rows = await ledger(shared);
      expect(rows.map((d) => [d.status, d.sends])).toEqual([["sent", 1]]);
    } finally {
      await shared.drop();
    }
  });

  it("a server that never answers DATA fails within the configured timeout: one line, exit 1", async () => {
    const shared = await databases.next();
    const { reportsDir } = databases;
    try {
      const cwd = tempDir();
      await writeFile(
        path.join(cwd, "reclaim.config.json"),
        JSON.stringify({ email: { smtp: { socketTimeoutMs: 500 } } }),
      );
      smtp.received.length = 0;
      smtp.hangNext(1);
      const result = await runCli(["email"], {
        cwd,
        timeoutMs: 30_000, // the 60 s default (or nodemailer's 10 min) would be killed here
        env: {
          ...shared.env,
          SMTP_URL: smtp.url,
          REPORT_TO: "admin@example.com",
          RECLAIM_REPORTS_DIR: reportsDir,
        },
      });
      expect(result.code, result.stderr).toBe(1);
      const lines = `${result.stdout}${result.stderr}`.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^email for admins admin@example\.com .* FAILED: SMTP server 127\.0\.0\.1:\d+ did not answer within email\.smtp\.socketTimeoutMs \(500 ms\)/,
      );
      const rows = await ledger(shared);
      expect(rows.map((d) => d.status)).toEqual(["failed"]);
      expect(rows[0]?.last_error).toMatch(/socketTimeoutMs/);
    } finally {
      await shared.drop();
    }
  });
});

describe("reclaim email exit codes", () => {
  it("with nothing to send exits 1, as `reclaim report` with nothing to report", async () => {
    const cwd = tempDir();
    // The real server when there is one: an empty embedded database costs an initdb.
    const shared = await testBackends().at(-1)!.shared();
    try {
      const env = { ...shared.env, REPORT_TO: "admin@example.com" };
      const report = await runCli(["report"], { cwd, env });
      const email = await runCli(["email"], { cwd, env });
      expect(report.code).toBe(1);
      expect(email.code).toBe(report.code);
      expect(email.stderr.trim()).toBe(
        "reclaim: no report to send: run `npx reclaim report` first",
      );
    } finally {
      await shared.drop();
    }
  });

  it("a bad address is a configuration error naming the variable or key, before any work", async () => {
    const cwd = tempDir();
    const dataDir = path.join(cwd, "data");
    await writeFile(
      path.join(cwd, "reclaim.config.json"),
      JSON.stringify({ email: { financeTo: ["Finance <finance@example.com>", "cfo at example"] } }),
    );
    const result = await runCli(["email"], {
      cwd,
      env: {
        RECLAIM_DATA_DIR: dataDir,
        REPORT_TO: 'Ann Lee <ann@example.com>, "Roe, Rick" <rick@example>',
        REPORT_FROM: "Reclaim <reclaim@example.com>",
      },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /REPORT_TO: "\\?"Roe, Rick\\?" <rick@example>" is not an email address/,
    );
    expect(result.stderr).toMatch(/config file: email\.financeTo\.1: "cfo at example" is not/);
    // The good ones are not reported.
    expect(result.stderr).not.toMatch(/REPORT_FROM|ann@example\.com|finance@example\.com/);
    expect(existsSync(dataDir)).toBe(false);
  });
});
