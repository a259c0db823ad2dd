/**
 * The crawl against answers the spec allows but our own simulator did not send before, and
 * against faults (issue: crawl hardening). Each case either ends with exactly what the org
 * holds, or fails loudly and promptly with nothing wrong stored:
 * 1. productAccess without lastActiveTimestamp is unknown, filled from last-active-dates;
 * 2. an omitted `groups` expansion is read per user, so never-used group seats are kept;
 * 3. null group names, users without name/accountType/membershipStatus, lowercase t/z;
 * 4. 20% of every request failing (catalog included), and a user deleted mid-crawl;
 * 5. a fatal error, endless cursors and a long Retry-After end the crawl promptly, with
 *    nothing sent afterwards.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import {
  crawlSimulator,
  expectDatabaseMatchesOrg,
  recordingLogger,
  TIME_SCALE,
} from "../../helpers/crawl.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { startHttpProxy } from "../../helpers/proxies.ts";

const USERS = 400;

describeEachBackend("crawl against hostile data", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;
  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: USERS, seed: "hostile" }],
      timeScale: TIME_SCALE,
    });
  });
  afterAll(async () => {
    await sim?.close();
  });
  const fresh = async () => {
    await database?.close();
    database = await backend.open();
    sim.setFaults({});
    sim.resetStats();
  };
  afterAll(async () => {
    await database?.close();
  });

  it("1: reads activity per user when productAccess has no lastActiveTimestamp", async () => {
    await fresh();
    sim.setFaults({ productAccessWithoutTimestamp: true });
    const result = await crawlSimulator(database.db, sim, "auto");
    expect(result.status).toBe("succeeded");
    expect(sim.stats.byRoute["lastActive.get"] ?? 0).toBeGreaterThan(USERS / 4);
    await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
  });

  it("2: reads groups per user when the groups expansion is left out", async () => {
    await fresh();
    sim.setFaults({ omitGroupsExpansion: true });
    const result = await crawlSimulator(database.db, sim, "bulk");
    expect(result.status).toBe("succeeded");
    expect(sim.stats.byRoute["groups.search"] ?? 0).toBeGreaterThan(USERS / 2);
    await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
  });

  it("3: takes null group names, users without optional fields and lowercase timestamps", async () => {
    await fresh();
    const org = sim.orgs[0]!;
    const people = sim.directoryUsers();
    const withheld = people.slice(0, 25).map((u) => u.accountId);
    sim.setFaults({
      nullGroupNames: true,
      omitUserFields: { accounts: withheld },
      lowercaseTimestamps: true,
    });
    const result = await crawlSimulator(database.db, sim, "auto");
    expect(result.status).toBe("succeeded");
    expect(result.users).toBe(people.length);
    await expectDatabaseMatchesOrg(database.db, org, {
      withheld: { accountIds: withheld, fields: ["name", "account_type", "membership_status"] },
    });
  });

  for (const strategy of ["auto", "per-user"] as const) {
    it(`4: ends succeeded and identical with 20% of every request failing, catalog included (${strategy})`, async () => {
      await fresh();
      sim.setFaults({ errorRate: 0.2, statuses: [500, 502, 503, 504], seed: `fifth-${strategy}` });
      const result = await crawlSimulator(database.db, sim, strategy);
      expect(sim.stats.faults).toBeGreaterThan(strategy === "auto" ? 3 : 50);
      expect(result.status).toBe("succeeded");
      await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
    });
  }

  it("4: records a user deleted mid-crawl as removed, not as a failure", async () => {
    await fresh();
    const org = sim.orgs[0]!;
    // The last account in id order is read last by the per-user phase: delete it once that
    // phase is under way.
    const victim = [...sim.directoryUsers()]
      .sort((a, b) => (a.accountId < b.accountId ? -1 : 1))
      .at(-1)!;
    const crawl = crawlSimulator(database.db, sim, "per-user");
    while ((sim.stats.byRoute["lastActive.get"] ?? 0) < 20) await pause(10);
    sim.deleteUser(0, victim.accountId);
    const result = await crawl;
    expect(result.status).toBe("succeeded");
    expect(result.removed).toBe(1);
    const row = await database.db
      .selectFrom("users")
      .select("removed_at")
      .where("account_id", "=", victim.accountId)
      .executeTakeFirstOrThrow();
    expect(row.removed_at).toBeInstanceOf(Date);
    await expectDatabaseMatchesOrg(database.db, org);
  });

  it("5: stops at once on a fatal error and sends nothing afterwards", async () => {
    await fresh();
    let lastActive = 0;
    const proxy = await startHttpProxy(sim.url, {
      answer: ({ path }) =>
        path.includes("/last-active-dates") && ++lastActive >= 30
          ? { status: 401, body: JSON.stringify({ code: 401, message: "Unauthorized" }) }
          : undefined,
    });
    try {
      const started = Date.now();
      const result = await crawlSimulator(database.db, sim, "per-user", { baseUrl: proxy.url });
      expect(result.status).toBe("failed");
      expect(result.error).toMatch(/401|API key/i);
      expect(Date.now() - started).toBeLessThan(10_000);
      // Requests already on the wire when it failed may still arrive; then nothing more.
      await pause(300);
      const sent = proxy.seen.length;
      await pause(1000);
      expect(proxy.seen.length).toBe(sent);
      const stored = await database.db
        .selectFrom("user_products")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("source", "=", "grant")
        .executeTakeFirstOrThrow();
      expect(Number(stored.n)).toBe(0); // a failed run concludes nothing about never-used seats
    } finally {
      await proxy.close();
    }
  });

  it("5: stops a walk of endless empty pages with a clear error", async () => {
    await fresh();
    sim.setFaults({ endlessCursors: true });
    const result = await crawlSimulator(database.db, sim, "bulk");
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/empty page/i);
    expect(sim.stats.byRoute["users.search"] ?? 0).toBeLessThan(Math.ceil(USERS / 100) + 15);
  });

  it("5: stops early and says so when the API asks to wait longer than it may", async () => {
    await fresh();
    let lastActive = 0;
    const proxy = await startHttpProxy(sim.url, {
      answer: ({ path }) =>
        path.includes("/last-active-dates") && ++lastActive === 25
          ? {
              status: 429,
              body: JSON.stringify({ code: 429, message: "Too many requests" }),
              headers: { "retry-after": "600" },
            }
          : undefined,
    });
    try {
      const log = recordingLogger();
      const started = Date.now();
      const result = await crawlSimulator(database.db, sim, "per-user", {
        baseUrl: proxy.url,
        log,
      });
      expect(result.status).toBe("failed");
      expect(result.error).toMatch(
        /the API asked to wait 10 min .* Stop this run and start it again after/,
      );
      expect(Date.now() - started).toBeLessThan(20_000);
      await pause(300);
      const sent = proxy.seen.length;
      await pause(1000);
      expect(proxy.seen.length).toBe(sent);
    } finally {
      await proxy.close();
    }
  });

  it("5: rides out requests that never answer, with a short per-attempt timeout", async () => {
    await fresh();
    sim.setFaults({ stall: { routes: ["lastActive.get"], rate: 0.03 }, seed: "stall" });
    const result = await crawlSimulator(database.db, sim, "per-user", { timeoutMs: 1_000 });
    expect(sim.stats.stalls).toBeGreaterThan(0);
    expect(result.status).toBe("succeeded");
    await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
  });
});

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
