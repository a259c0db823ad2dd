import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Checkpoint } from "../../../src/crawl/context.ts";
import { PAGES_READ_AHEAD } from "../../../src/crawl/phases/users.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { REPO_ROOT, runCli } from "../../helpers/cli.ts";
import { expectDatabaseMatchesOrg, TIME_SCALE } from "../../helpers/crawl.ts";
import { describeEachBackend, type SharedTestDatabase } from "../../helpers/database.ts";

const USERS = 2500;

describeEachBackend("crawl killed with SIGKILL", (backend) => {
  let sim: RunningSimulator;
  let shared: SharedTestDatabase;
  let env: Record<string, string>;
  /** Pages of v2 users search: the people in the org (apps are not v2 directory users). */
  let PAGES: number;

  beforeAll(async () => {
    // Slow pages so the crawl is surely mid-way when it is killed.
    sim = await startSimulator({
      orgs: [{ users: USERS, seed: "resume-test" }],
      timeScale: TIME_SCALE,
      faults: { latencyMs: 60 },
    });
    PAGES = Math.ceil(sim.directoryUsers().length / 100);
    shared = await backend.shared();
    const configDir = await mkdtemp(path.join(tmpdir(), "reclaim-resume-"));
    const configFile = path.join(configDir, "reclaim.config.json");
    await writeFile(
      configFile,
      JSON.stringify({ crawl: { lastActivePerMinute: 200 * TIME_SCALE, crossCheckSample: 5 } }),
    );
    env = {
      ...shared.env,
      ATLASSIAN_API_URL: sim.url,
      ATLASSIAN_API_KEY: sim.apiKey,
      ATLASSIAN_ORG_ID: sim.orgId,
      RECLAIM_CONFIG: configFile,
    };
  });
  afterAll(async () => {
    await sim.close();
    await shared.drop();
  });

  it("resumes without fetching a stored page again and ends with the same data", async () => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin/reclaim.js"), "crawl"], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: undefined, ...env },
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const deadline = Date.now() + 60_000;
    while ((sim.stats.byRoute["users.search"] ?? 0) < PAGES / 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    await exited;
    const pagesBeforeKill = sim.stats.byRoute["users.search"] ?? 0;
    expect(pagesBeforeKill).toBeGreaterThanOrEqual(PAGES / 2);
    expect(pagesBeforeKill).toBeLessThan(PAGES);

    let storedPages: number;
    {
      const database = await shared.open();
      try {
        const run = await database.db
          .selectFrom("crawl_runs")
          .selectAll()
          .executeTakeFirstOrThrow();
        expect(run.status).toBe("running");
        storedPages = (run.checkpoint as unknown as Checkpoint).usersPages;
        expect(storedPages).toBeGreaterThan(0);
        // Fetched but not stored at the kill: at most the page being stored (its transaction
        // had not committed) and the pages read ahead behind it.
        expect(pagesBeforeKill - storedPages).toBeLessThanOrEqual(PAGES_READ_AHEAD + 1);
      } finally {
        await database.close();
      }
    }

    const resumed = await runCli(["crawl", "--json"], { env, timeoutMs: 120_000 });
    expect(resumed.stderr).toMatch(
      /resuming crawl run 1 of org .* \((auto|bulk|per-user), started \d+ min ago\): its process, pid \d+ on .* stopped before it finished/,
    );
    expect(resumed.code).toBe(0);
    const [summary] = JSON.parse(resumed.stdout) as {
      runId: number;
      status: string;
      resumed: boolean;
      apiCalls: Record<string, number>;
    }[];
    expect(summary).toMatchObject({ runId: 1, status: "succeeded", resumed: true });
    // The resumed process fetched exactly the pages that were not stored (its own count: a
    // request the killed process sent just before it died may still reach the simulator).
    expect(summary!.apiCalls["users-search"]).toBe(PAGES - storedPages);

    const database = await shared.open();
    try {
      await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
      const runs = await database.db
        .selectFrom("crawl_runs")
        .select(["run_id", "status"])
        .execute();
      expect(runs).toEqual([{ run_id: 1, status: "succeeded" }]);
    } finally {
      await database.close();
    }
  });
});
