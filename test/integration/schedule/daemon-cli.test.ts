/**
 * `reclaim schedule` as a real process: SIGTERM mid-crawl, `kill -9` mid-crawl and the next
 * start, and (embedded database) another command refused while the daemon holds the data dir.
 * The daemon's catch-up starts the crawl at once: the test records that a scheduler knew the
 * schedule since two days ago, so today's 05:00 slot (or yesterday's) is due.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Checkpoint } from "../../../src/crawl/context.ts";
import { migrateToLatest } from "../../../src/db/migrate.ts";
import { rememberSchedule } from "../../../src/schedule/ledger.repository.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { REPO_ROOT, runCli } from "../../helpers/cli.ts";
import { expectDatabaseMatchesOrg, TIME_SCALE } from "../../helpers/crawl.ts";
import { testBackends, type SharedTestDatabase } from "../../helpers/database.ts";

const USERS = 2000;
const PAGES = USERS / 100;

interface Daemon {
  child: ChildProcess;
  /** Resolves with the first JSON log line that matches. */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** Every daemon a test started, killed after each test whatever happened to it. */
const started: ChildProcess[] = [];

function startDaemon(env: Record<string, string>): Daemon {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin/reclaim.js"), "schedule"], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: undefined, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  started.push(child);
  const logs: Record<string, unknown>[] = [];
  const waiters: {
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  let buffer = "";
  child.stderr.on("data", (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const text of lines) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { message: text };
      }
      logs.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    logs,
    exited,
    waitForLog: (match) => {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        void exited.then((code) =>
          reject(
            new Error(`daemon exited (${code}) before the log line; logs: ${JSON.stringify(logs)}`),
          ),
        );
      });
    },
  };
}

/** Polls the simulator's counters (the daemon is another process): no fixed sleeps. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 40_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * One backend, not both: these start real processes, and each start opens the database (an
 * embedded data dir costs seconds to open). The ledger's SQL is the same on both backends and
 * runs on both in scheduler.test.ts; the embedded data dir's lock is tested with real
 * processes in test/integration/db/data-dir-lock.test.ts. The Postgres server when one is
 * given (CI), else PGlite.
 */
const backend = testBackends().at(-1)!;

describe(`reclaim schedule (a real daemon process) [${backend.name}]`, () => {
  let sim: RunningSimulator;
  let configFile: string;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: USERS, seed: "daemon-test" }],
      timeScale: TIME_SCALE,
      // Slow pages, so the crawl is surely mid-way when it is stopped.
      faults: { latencyMs: 60 },
    });
    const dir = await mkdtemp(path.join(tmpdir(), "reclaim-daemon-"));
    configFile = path.join(dir, "reclaim.config.json");
    await writeFile(
      configFile,
      JSON.stringify({
        crawl: { lastActivePerMinute: 200 * TIME_SCALE, crossCheckSample: 5 },
        schedule: {
          timezone: "UTC",
          jobs: { report: { enabled: false }, policy: { enabled: false } },
          shutdownGraceSeconds: 20,
        },
      }),
    );
  });
  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  });
  afterAll(async () => {
    await sim.close();
  });

  async function prepared(): Promise<{ shared: SharedTestDatabase; env: Record<string, string> }> {
    const shared = await backend.shared();
    const database = await shared.open();
    try {
      await migrateToLatest(database.db);
      await rememberSchedule(database.db, {
        job: "crawl",
        cron: "0 5 * * *",
        timezone: "UTC",
        at: new Date(Date.now() - 2 * 86_400_000),
      });
    } finally {
      await database.close();
    }
    sim.resetStats();
    return {
      shared,
      env: {
        ...shared.env,
        ATLASSIAN_API_URL: sim.url,
        ATLASSIAN_API_KEY: sim.apiKey,
        ATLASSIAN_ORG_ID: sim.orgId,
        RECLAIM_CONFIG: configFile,
        RECLAIM_REPORTS_DIR: path.join(path.dirname(configFile), "reports"),
      },
    };
  }

  it("SIGTERM during a crawl exits 0 and leaves the row interrupted", async () => {
    const { shared, env } = await prepared();
    try {
      const daemon = startDaemon(env);
      await daemon.waitForLog((l) => l.message === "job started" && l.job === "crawl");
      await until(() => (sim.stats.byRoute["users.search"] ?? 0) >= 3, "the crawl to fetch pages");
      daemon.child.kill("SIGTERM");
      expect(await daemon.exited).toBe(0);
      expect(daemon.logs.some((l) => l.message === "scheduler stopped")).toBe(true);

      const database = await shared.open();
      try {
        const rows = await database.db.selectFrom("schedule_runs").selectAll().execute();
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ job: "crawl", org: sim.orgId, status: "interrupted" });
        expect(rows[0]!.error).toMatch(/^interrupted: received SIGTERM; the next run resumes/);
        // The crawl itself stopped at a checkpoint and is there to be resumed.
        const run = await database.db
          .selectFrom("crawl_runs")
          .selectAll()
          .executeTakeFirstOrThrow();
        expect(run.status).toBe("running");
        expect((run.checkpoint as unknown as Checkpoint).usersPages).toBeLessThan(PAGES);
      } finally {
        await database.close();
      }
    } finally {
      await shared.drop();
    }
  });

  it("after kill -9 mid-crawl, the next start marks the row interrupted and resumes the crawl from its checkpoint", async () => {
    const { shared, env } = await prepared();
    try {
      const first = startDaemon(env);
      await until(() => (sim.stats.byRoute["users.search"] ?? 0) >= PAGES / 2, "half the pages");
      first.child.kill("SIGKILL");
      await first.exited;
      expect(sim.stats.byRoute["users.search"] ?? 0).toBeLessThan(PAGES);

      const second = startDaemon(env);
      // The row the killed process held was still "running": the next start marks it.
      const interrupted = await second.waitForLog((l) => l.message === "job interrupted");
      expect(interrupted).toMatchObject({ job: "crawl", org: sim.orgId });
      expect(String(interrupted.error)).toMatch(
        new RegExp(`its process \\(pid ${first.child.pid} on .+\\) is gone`),
      );
      const slot = String(interrupted.slot);
      const resuming = await second.waitForLog((l) =>
        String(l.message).startsWith("resuming crawl run 1"),
      );
      const storedPages = Number(resuming.pagesAlreadyStored);
      expect(storedPages).toBeGreaterThan(0);
      const crawled = await second.waitForLog((l) => l.message === "crawl finished");
      const finished = await second.waitForLog((l) => l.message === "job finished");
      expect(finished).toMatchObject({ status: "succeeded", slot, attempt: 2 });
      expect(finished).toMatchObject({ crawlRunId: 1, resumed: true, crawlStatus: "succeeded" });

      if (backend.name === "pglite") {
        // While the daemon holds the embedded data dir, another command is refused, by name.
        const refused = await runCli(["report"], { env });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`is in use by pid ${second.child.pid} since `);
        expect(refused.stderr).toContain("(reclaim schedule); stop it, or set DATABASE_URL");
      }
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
      // The resumed crawl fetched only the pages that were not stored (its own count: a request
      // the killed process sent just before it died may still reach the simulator).
      const pages = Math.ceil(Number(crawled.users) / 100);
      expect((crawled.apiCalls as Record<string, number>)["users-search"]).toBe(
        pages - storedPages,
      );

      const database = await shared.open();
      try {
        const rows = await database.db
          .selectFrom("schedule_runs")
          .select(["status", "attempts", "slot"])
          .execute();
        expect(rows).toEqual([{ status: "succeeded", attempts: 2, slot: new Date(slot) }]);
        const runs = await database.db
          .selectFrom("crawl_runs")
          .select(["run_id", "status"])
          .execute();
        expect(runs).toEqual([{ run_id: 1, status: "succeeded" }]);
        await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
      } finally {
        await database.close();
      }
    } finally {
      await shared.drop();
    }
  });
});
