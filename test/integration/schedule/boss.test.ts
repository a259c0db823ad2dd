/**
 * The pg-boss engine with two real worker processes on one Postgres database and three orgs:
 * every (job, org, slot) runs once. Ticks come from node-cron in the daemons (every three
 * seconds); the test only watches the ledger.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobId, QUEUES } from "../../../src/schedule/boss.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { REPO_ROOT, runCli } from "../../helpers/cli.ts";
import { TIME_SCALE } from "../../helpers/crawl.ts";
import { testBackends, type SharedTestDatabase } from "../../helpers/database.ts";

const postgres = testBackends().find((b) => b.name === "postgres");

describe("schedule.engine pg-boss without a Postgres server", () => {
  it("is refused before any work, naming DATABASE_URL", async () => {
    const result = await runCli(["schedule"], {
      env: {
        ATLASSIAN_API_KEY: "k",
        RECLAIM_SCHEDULE_ENGINE: "pg-boss",
        RECLAIM_DATA_DIR: path.join(tmpdir(), "reclaim-never-created"),
      },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('schedule.engine "pg-boss" needs DATABASE_URL');
  });
});

// pg-boss needs a Postgres server: this part runs where RECLAIM_TEST_DATABASE_URL names one (CI does).
describe.skipIf(!postgres)("schedule.engine pg-boss: two workers, three orgs", () => {
  let sim: RunningSimulator;
  let shared: SharedTestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [
        { users: 150, seed: "boss-a" },
        { users: 110, seed: "boss-b" },
        { users: 70, seed: "boss-c" },
      ],
      timeScale: TIME_SCALE,
    });
    shared = await postgres!.shared();
    const dir = await mkdtemp(path.join(tmpdir(), "reclaim-boss-"));
    const configFile = path.join(dir, "reclaim.config.json");
    await writeFile(
      configFile,
      JSON.stringify({
        orgs: sim.orgs.map((o, i) => ({ name: `org${i}`, orgId: o.id, apiKeyEnv: `KEY_${i}` })),
        crawl: { lastActivePerMinute: 200 * TIME_SCALE, crossCheckSample: 2 },
        schedule: {
          engine: "pg-boss",
          timezone: "UTC",
          jobs: {
            crawl: { cron: "*/3 * * * * *" },
            report: { enabled: false },
            policy: { enabled: false },
          },
          shutdownGraceSeconds: 15,
        },
      }),
    );
    env = {
      ...shared.env,
      ATLASSIAN_API_URL: sim.url,
      RECLAIM_CONFIG: configFile,
      RECLAIM_REPORTS_DIR: path.join(dir, "reports"),
      ...Object.fromEntries(sim.orgs.map((o, i) => [`KEY_${i}`, o.apiKey])),
    };
  });
  afterAll(async () => {
    await sim?.close();
    await shared?.drop();
  });

  it("runs each (job, org, slot) once across both workers", async () => {
    const migrated = await runCli(["migrate"], { env });
    expect(migrated.stderr).toBe("");
    expect(migrated.stdout).toContain(
      "pg-boss queues ready: reclaim-crawl, reclaim-report, reclaim-policy",
    );

    const workers = [spawnWorker(env), spawnWorker(env)];
    const database = await shared.open();
    try {
      // Until two slots have been crawled for every org.
      const deadline = Date.now() + 45_000;
      for (;;) {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from (
            select slot from schedule_runs
            where job = 'crawl' and org <> '*' and status = 'succeeded'
            group by slot having count(*) = 3) full_slots`.execute(database.db);
        if ((rows[0]?.n ?? 0) >= 2) break;
        if (Date.now() > deadline) {
          throw new Error(
            `not enough slots crawled; worker logs: ${workers.map((w) => w.stderr()).join("\n")}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const w of workers) w.child.kill("SIGTERM");
      expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);

      const rows = await database.db
        .selectFrom("schedule_runs")
        .select(["org", "slot", "status", "attempts", "owner_pid"])
        .where("job", "=", "crawl")
        .execute();
      const fanOuts = rows.filter((r) => r.org === "*");
      const perOrg = rows.filter((r) => r.org !== "*");
      const refs = sim.orgs.map((o) => o.id);
      // Every queued slot was claimed once, by one of the two processes, for all three orgs.
      expect(fanOuts.length).toBeGreaterThanOrEqual(2);
      expect(new Set(fanOuts.map((r) => r.slot.toISOString())).size).toBe(fanOuts.length);
      expect(fanOuts.every((r) => r.status === "succeeded")).toBe(true);
      const succeeded = perOrg.filter((r) => r.status === "succeeded");
      expect(new Set(succeeded.map((r) => r.org))).toEqual(new Set(refs));
      expect(succeeded.every((r) => r.attempts === 1)).toBe(true);
      // Each attempt is at most one crawl, and each crawl asks for its org exactly once; an
      // attempt cut short by the SIGTERM at the end may have stopped before asking.
      const sum = (statuses: string[]) =>
        perOrg.filter((r) => statuses.includes(r.status)).reduce((n, r) => n + r.attempts, 0);
      const finished = sum(["succeeded", "failed"]);
      const cutShort = sum(["interrupted"]);
      const orgReads = sim.stats.byRoute["orgs.get"] ?? 0;
      expect(orgReads).toBeGreaterThanOrEqual(finished);
      expect(orgReads).toBeLessThanOrEqual(finished + cutShort);
      const crawlRuns = await database.db.selectFrom("crawl_runs").select("status").execute();
      expect(crawlRuns.filter((r) => r.status === "succeeded")).toHaveLength(succeeded.length);
      expect(crawlRuns.length).toBeLessThanOrEqual(finished + cutShort);
      // Each succeeded row was a pg-boss job of the deterministic id, completed once.
      const { rows: jobs } = await sql<{ id: string; state: string }>`
        select id::text as id, state from pgboss.job where name = ${QUEUES.crawl}`.execute(
        database.db,
      );
      const states = new Map(jobs.map((j) => [j.id, j.state]));
      for (const r of succeeded) {
        expect(states.get(jobId("crawl", r.org, r.slot)), `${r.org} ${r.slot.toISOString()}`).toBe(
          "completed",
        );
      }
    } finally {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
      await database.close();
    }
  });
});

function spawnWorker(env: Record<string, string>): {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
} {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin/reclaim.js"), "schedule"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { child, exited, stderr: () => stderr };
}
