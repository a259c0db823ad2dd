/**
 * Two processes on one embedded data dir (PGlite has no locking of its own): the second is
 * refused, naming the holder's pid, and the first finishes with correct data.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../../src/db/connect.ts";
import { LOCK_FILE } from "../../../src/db/data-dir-lock.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { REPO_ROOT, runCli } from "../../helpers/cli.ts";
import { expectDatabaseMatchesOrg, TIME_SCALE } from "../../helpers/crawl.ts";

const USERS = 1500;

/** Every process a test started, killed after each test whatever happened to it. */
const started: ChildProcess[] = [];

function spawnCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin/reclaim.js"), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: undefined, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { child, exited, stderr: () => stderr };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 40_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("one embedded data dir, two processes", () => {
  let sim: RunningSimulator;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: USERS, seed: "lock-test" }],
      timeScale: TIME_SCALE,
      faults: { latencyMs: 40 },
    });
  });
  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  });
  afterAll(async () => {
    await sim.close();
  });

  async function freshDir(): Promise<void> {
    dataDir = await mkdtemp(path.join(tmpdir(), "reclaim-locked-"));
    env = {
      RECLAIM_DATA_DIR: dataDir,
      ATLASSIAN_API_URL: sim.url,
      ATLASSIAN_API_KEY: sim.apiKey,
      ATLASSIAN_ORG_ID: sim.orgId,
      RECLAIM_REPORTS_DIR: path.join(dataDir, "..", `${path.basename(dataDir)}-reports`),
    };
  }

  it("refuses a second crawl with the holder's pid; the first finishes and no row is doubled", async () => {
    await freshDir();
    try {
      sim.resetStats();
      const first = spawnCli(["crawl"], env);
      await until(() => (sim.stats.byRoute["users.search"] ?? 0) >= 2, "the first crawl to run");
      expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(true);

      const second = await runCli(["crawl"], { env });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(
        new RegExp(
          `^reclaim: data dir ${dataDir} is in use by pid ${first.child.pid} since \\d{4}-\\d\\d-\\d\\dT[^ ]+ \\(reclaim crawl\\); stop it, or set DATABASE_URL`,
        ),
      );

      expect(await first.exited).toBe(0);
      expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
      const database = await openDatabase({ dataDir });
      try {
        const { rows } = await sql<{ n: number; distinct: number }>`
          select count(*)::int as n, count(distinct (org_id, account_id))::int as distinct from users`.execute(
          database.db,
        );
        expect(rows[0]!.n).toBe(rows[0]!.distinct);
        await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
        const runs = await database.db.selectFrom("crawl_runs").select("status").execute();
        expect(runs).toEqual([{ status: "succeeded" }]);
      } finally {
        await database.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a second scheduler while one runs on the data dir", async () => {
    await freshDir();
    try {
      const daemon = spawnCli(["schedule"], env);
      await until(() => daemon.stderr().includes("scheduler started"), "the scheduler to start");
      const second = await runCli(["schedule"], { env });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(
        `data dir ${dataDir} is in use by pid ${daemon.child.pid} since `,
      );
      expect(second.stderr).toContain("(reclaim schedule)");
      daemon.child.kill("SIGTERM");
      expect(await daemon.exited).toBe(0);
      // Released on a clean exit.
      expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
