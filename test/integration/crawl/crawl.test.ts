import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createAtlassianClient, removeUser } from "../../../src/atlassian/index.ts";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { crawlSimulator, expectDatabaseMatchesOrg, TIME_SCALE } from "../../helpers/crawl.ts";
import { describeEachBackend } from "../../helpers/database.ts";

const USERS = 1200;

describeEachBackend("crawl", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: USERS, seed: "crawl-test" }],
      timeScale: TIME_SCALE,
    });
  });
  afterAll(async () => {
    await sim.close();
  });
  afterEach(async () => {
    sim.setFaults({});
    await database?.close();
  });

  for (const strategy of ["auto", "bulk", "per-user"] as const) {
    it(`stores exactly what the org holds (${strategy})`, async () => {
      database = await backend.open();
      sim.resetStats();
      const result = await crawlSimulator(database.db, sim, strategy);
      expect(result.status).toBe("succeeded");
      const visible = sim.directoryUsers().length;
      expect(result.users).toBe(visible);
      await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
      const pages = sim.stats.byRoute["users.search"] ?? 0;
      expect(pages).toBe(Math.ceil(visible / 100));
      const perUserCalls = sim.stats.byRoute["lastActive.get"] ?? 0;
      if (strategy === "bulk") expect(perUserCalls).toBe(0);
      if (strategy === "auto") expect(perUserCalls).toBeLessThanOrEqual(20);
      if (strategy === "per-user") expect(perUserCalls).toBeGreaterThanOrEqual(visible);
      if (strategy === "auto") {
        expect(result.sampled).toBe(10);
        expect(result.disagreements).toBe(0);
      }
      const run = await database.db.selectFrom("crawl_runs").selectAll().executeTakeFirstOrThrow();
      expect(run.status).toBe("succeeded");
      expect(run.finished_at).toBeInstanceOf(Date);
      // A succeeded run records its state as history versions (what reports read).
      const versions = await database.db
        .selectFrom("user_versions")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("valid_from_run_id", "=", run.run_id)
        .executeTakeFirstOrThrow();
      expect(Number(versions.n)).toBe(result.users);
    });
  }

  it("reads users per user while the users walk is still fetching pages", async () => {
    database = await backend.open();
    sim.setFaults({ latencyMs: 10 });
    const order: string[] = [];
    const progress: { phase: string; done: number; total: number | undefined }[] = [];
    const result = await crawlSimulator(database.db, sim, "per-user", {
      onRequest: (e) => order.push(e.endpoint),
      crawl: { onProgress: (p) => progress.push(p) },
    });
    expect(result.status).toBe("succeeded");
    await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
    const firstRead = order.indexOf("last-active-dates");
    const lastPage = order.lastIndexOf("users-search");
    expect(firstRead).toBeGreaterThan(-1);
    expect(firstRead).toBeLessThan(lastPage);
    // Once the walk is done, the reads still running show their own progress, to the end.
    const lastWalk = progress.map((p) => p.phase).lastIndexOf("users");
    const reads = progress.slice(lastWalk).filter((p) => p.phase === "per-user");
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((p) => p.total !== undefined && p.done <= p.total)).toBe(true);
    const last = reads.at(-1)!;
    expect(last.done).toBe(last.total);
    expect(last.done).toBeGreaterThanOrEqual(sim.directoryUsers().length);
  });

  it("ends complete and identical through 5xx faults, HTML error bodies, latency and 429 storms", async () => {
    database = await backend.open();
    // The server allows a fifth of the documented rate. The client keeps to the server's own
    // count, so the storm comes from a neighbour on the same org's budget: another tool that
    // drains every window as it opens, until the crawl has met a few 429s.
    const stormy = await startSimulator({
      orgs: [{ users: 600, seed: "storm" }],
      timeScale: TIME_SCALE,
      rateLimits: { lastActivePerMinute: 40, defaultPerMinute: 100 },
      faults: {
        errorRate: 0.15,
        statuses: [502, 503, 504],
        htmlErrorBodies: true,
        latencyMs: [0, 5],
        seed: "storm",
      },
    });
    let crawlerLimited = 0;
    let crawlDone = false;
    const neighbour = drainLastActiveBudget(stormy, () => crawlerLimited >= 3 || crawlDone);
    try {
      const result = await crawlSimulator(database.db, stormy, "per-user", {
        onRequest: (e) => {
          if (e.rateLimited && e.endpoint === "last-active-dates") crawlerLimited++;
        },
      });
      expect(result.status).toBe("succeeded");
      expect(result.retries).toBeGreaterThan(0);
      expect(result.rateLimited).toBeGreaterThan(0);
      expect(stormy.stats.rateLimited).toBeGreaterThan(0);
      expect(stormy.stats.faults).toBeGreaterThan(0);
      await expectDatabaseMatchesOrg(database.db, stormy.orgs[0]!);
    } finally {
      crawlDone = true;
      await neighbour;
      await stormy.close();
    }
  });

  it("restarts the user list when the API rejects a cursor as stale, and still ends identical", async () => {
    database = await backend.open();
    sim.setFaults({ staleCursorRate: 0.08, seed: "stale-cursors" });
    sim.resetStats();
    const result = await crawlSimulator(database.db, sim, "bulk");
    expect(sim.stats.faults).toBeGreaterThan(0);
    expect(result.status).toBe("succeeded");
    await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
  });

  it("marks the run incomplete and stores no activity for a user whose reads always fail", async () => {
    database = await backend.open();
    const victim = sim.orgs[0]!.users.find((u) => u.activity.length > 0 && u.groupIds.length > 0)!;
    sim.setFaults({ alwaysFailAccountIds: [victim.accountId] });
    const result = await crawlSimulator(database.db, sim, "per-user", { maxAttempts: 2 });
    expect(result.status).toBe("incomplete");
    expect(result.usersFailed).toBe(1);
    await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!, { failed: [victim.accountId] });
    const errors = await database.db.selectFrom("crawl_errors").selectAll().execute();
    // Read twice (the failure may have passed), failed twice, recorded twice: and only that user.
    expect(errors.map((e) => e.account_id)).toEqual([victim.accountId, victim.accountId]);
    const stats = await database.db
      .selectFrom("crawl_runs")
      .select(["status", "users_failed"])
      .executeTakeFirstOrThrow();
    expect(stats).toEqual({ status: "incomplete", users_failed: 1 });
  });

  it("marks users who left between crawls as removed, and keeps them", async () => {
    database = await backend.open();
    const small = await startSimulator({
      orgs: [{ users: 150, seed: "leavers" }],
      timeScale: TIME_SCALE,
    });
    try {
      const org = small.orgs[0]!;
      const first = await crawlSimulator(database.db, small, "bulk");
      expect(first.status).toBe("succeeded");
      // An unmanaged member in one directory disappears from the org once removed from it.
      const leaver = org.users.find(
        (u) =>
          u.accountType === "atlassian" &&
          u.claimStatus === "unmanaged" &&
          Object.keys(u.memberships).length === 1,
      )!;
      const client = createAtlassianClient({ apiKey: org.apiKey, baseUrl: small.url });
      const directoryId = Object.keys(leaver.memberships)[0]!;
      await removeUser(client, { orgId: org.id, directoryId, accountId: leaver.accountId });
      expect(org.users.some((u) => u.accountId === leaver.accountId)).toBe(false);

      const second = await crawlSimulator(database.db, small, "bulk");
      expect(second.status).toBe("succeeded");
      expect(second.removed).toBe(1);
      const row = await database.db
        .selectFrom("users")
        .select(["removed_at", "last_seen_run_id"])
        .where("account_id", "=", leaver.accountId)
        .executeTakeFirstOrThrow();
      expect(row.removed_at).toBeInstanceOf(Date);
      expect(row.last_seen_run_id).toBe(first.runId);
      const versions = await database.db
        .selectFrom("user_versions")
        .select(["valid_from_run_id", "valid_to_run_id", "removed"])
        .where("account_id", "=", leaver.accountId)
        .orderBy("valid_from_run_id")
        .execute();
      expect(versions).toEqual([
        { valid_from_run_id: first.runId, valid_to_run_id: second.runId, removed: false },
        { valid_from_run_id: second.runId, valid_to_run_id: null, removed: true },
      ]);
      await expectDatabaseMatchesOrg(database.db, org);
    } finally {
      await small.close();
    }
  });
});

/**
 * Another client of the org: eight callers reading last-active-dates one request after
 * another, ignoring 429s, until `stop()` says so (or after 20,000 requests each), so every
 * window's budget is gone within milliseconds of opening.
 */
async function drainLastActiveBudget(sim: RunningSimulator, stop: () => boolean): Promise<void> {
  const org = sim.orgs[0]!;
  const url = `${sim.url}/admin/v1/orgs/${org.id}/directory/users/${org.users[0]!.accountId}/last-active-dates`;
  const caller = async () => {
    for (let i = 0; i < 20_000 && !stop(); i++) {
      const res = await fetch(url, { headers: { Authorization: `Bearer ${org.apiKey}` } });
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 8 }, caller));
}
