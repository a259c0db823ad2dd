/**
 * One crawl per org at a time, and unfinished runs resumed from their checkpoint (issue:
 * two processes never corrupt the data): two crawls released at the same instant, a failed
 * and an incomplete run resumed, --restart and another --strategy giving a run up, an old
 * checkpoint given up, and a dead holder's run taken over while a live one is respected.
 */
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { CrawlOrgResult } from "../../../src/crawl/crawl-org.ts";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { json } from "../../../src/db/json.ts";
import { fixedClock } from "../../../src/shared/clock.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import {
  crawlSimulator,
  expectDatabaseMatchesOrg,
  recordingLogger,
  TIME_SCALE,
} from "../../helpers/crawl.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { startHttpProxy } from "../../helpers/proxies.ts";

const USERS = 300;
const PAGES = Math.ceil(USERS / 100);
const ROUNDS = 10;

describeEachBackend("crawl run claims", (backend) => {
  let sim: RunningSimulator;
  /** One small org per round of the race. */
  let many: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ orgs: [{ users: USERS, seed: "claims" }], timeScale: TIME_SCALE });
    many = await startSimulator({
      orgs: Array.from({ length: ROUNDS }, (_, i) => ({ users: 60, seed: `race-${i}` })),
      timeScale: TIME_SCALE,
      // Each request takes a moment, so the winner is still crawling when the loser claims.
      faults: { latencyMs: 40 },
    });
  });
  afterAll(async () => {
    await sim?.close();
    await many?.close();
  });

  async function runs(database: ReclaimDatabase) {
    return database.db
      .selectFrom("crawl_runs")
      .select(["run_id", "status", "error"])
      .orderBy("run_id")
      .execute();
  }

  it("two crawls released together: one runs, the other refuses; no user is marked removed (10 rounds)", async () => {
    const database = await backend.open();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        // Both crawls' first request is held until both have sent it: they then race to claim.
        const gate = await startHttpProxy(many.url, { holdFirst: 2 });
        try {
          const crawl = () =>
            crawlSimulator(database.db, many, "bulk", { baseUrl: gate.url, orgIndex: round });
          const outcomes = await Promise.allSettled([crawl(), crawl()]);
          const ran = outcomes.filter((o) => o.status === "fulfilled");
          const refused = outcomes.filter((o) => o.status === "rejected");
          expect(ran, `round ${round}`).toHaveLength(1);
          expect(refused).toHaveLength(1);
          expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(
            /another crawl of org .* is running \(run \d+/,
          );
          const result = (ran[0] as PromiseFulfilledResult<CrawlOrgResult>).value;
          expect(result.status).toBe("succeeded");
          expect(result.removed).toBe(0);
          const org = many.orgs[round]!;
          const removed = await database.db
            .selectFrom("users")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("org_id", "=", org.id)
            .where("removed_at", "is not", null)
            .executeTakeFirstOrThrow();
          expect(Number(removed.n)).toBe(0);
          await expectDatabaseMatchesOrg(database.db, org);
        } finally {
          await gate.close();
        }
      }
      const statuses = await database.db.selectFrom("crawl_runs").select("status").execute();
      expect(statuses.map((r) => r.status)).toEqual(Array(ROUNDS).fill("succeeded"));
    } finally {
      await database.close();
    }
  }, 300_000);

  it("resumes an incomplete run, reading again only the users that failed", async () => {
    const database = await backend.open();
    try {
      const org = sim.orgs[0]!;
      const failing = org.users.slice(0, 5).map((u) => u.accountId);
      sim.setFaults({ alwaysFailAccountIds: failing });
      const first = await crawlSimulator(database.db, sim, "per-user", { maxAttempts: 2 });
      expect(first.status).toBe("incomplete");
      sim.setFaults({});
      sim.resetStats();
      const log = recordingLogger();
      const second = await crawlSimulator(database.db, sim, "per-user", { log });
      expect(second.runId).toBe(first.runId);
      expect(second.status).toBe("succeeded");
      expect(second.resumed).toBe(true);
      expect(log.lines.join("\n")).toMatch(
        new RegExp(
          `resuming crawl run ${first.runId} of org .* \\(per-user, started .* ago\\): it ended incomplete`,
        ),
      );
      expect(sim.stats.byRoute["users.search"] ?? 0).toBe(0);
      expect(sim.stats.byRoute["lastActive.get"] ?? 0).toBeLessThanOrEqual(failing.length * 2);
      expect(sim.stats.byRoute["lastActive.get"] ?? 0).toBeGreaterThanOrEqual(failing.length);
      await expectDatabaseMatchesOrg(database.db, org);
      expect((await runs(database)).map((r) => r.status)).toEqual(["succeeded"]);
    } finally {
      sim.setFaults({});
      await database.close();
    }
  }, 180_000);

  it("resumes a failed run from its checkpoint, never fetching a stored page again", async () => {
    const database = await backend.open();
    // The users walk fails for good on its third page.
    const failing = await startHttpProxy(sim.url, {
      answer: ({ path, method }) =>
        method === "POST" && path.includes("/users/search") && ++searches === 3
          ? { status: 500, body: JSON.stringify({ code: 500, message: "Try again later" }) }
          : undefined,
    });
    let searches = 0;
    try {
      const first = await crawlSimulator(database.db, sim, "bulk", {
        baseUrl: failing.url,
        maxAttempts: 1,
      });
      expect(first.status).toBe("failed");
      sim.resetStats();
      const second = await crawlSimulator(database.db, sim, "bulk");
      expect(second.runId).toBe(first.runId);
      expect(second.status).toBe("succeeded");
      expect(sim.stats.byRoute["users.search"] ?? 0).toBe(PAGES - 2);
      await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
    } finally {
      await failing.close();
      await database.close();
    }
  }, 180_000);

  it("gives an unfinished run up on --restart, on another --strategy and when it is too old", async () => {
    const database = await backend.open();
    try {
      sim.setFaults({ alwaysFailAccountIds: [sim.orgs[0]!.users[0]!.accountId] });
      const log = recordingLogger();
      const crawl = (
        strategy: "per-user" | "bulk",
        more: Parameters<typeof crawlSimulator>[3] = {},
      ) => crawlSimulator(database.db, sim, strategy, { maxAttempts: 2, log, ...more });
      const a = await crawl("per-user");
      expect(a.status).toBe("incomplete");

      const b = await crawl("per-user", { crawl: { restart: true } });
      expect(b.status).toBe("incomplete");
      expect(b.runId).not.toBe(a.runId);
      expect(log.lines).toContain(
        `warn: gave up crawl run ${a.runId} of org ${sim.orgId}: --restart was given; starting anew`,
      );

      const c = await crawl("bulk", { crawl: { strategyGiven: true } });
      expect(c.runId).not.toBe(b.runId);
      expect(log.lines).toContain(
        `warn: gave up crawl run ${b.runId} of org ${sim.orgId}: --strategy bulk was given and it ran with per-user; starting anew`,
      );

      // An unfinished per-user run again, then a crawl 30 hours later: too old to resume.
      const e = await crawl("per-user", { crawl: { strategyGiven: true } });
      expect(e.status).toBe("incomplete");
      const d = await crawl("per-user", {
        clock: fixedClock(new Date(Date.now() + 30 * 3_600_000)),
        crawl: { maxResumeAgeMs: 24 * 3_600_000 },
      });
      expect(d.runId).not.toBe(e.runId);
      expect(log.lines.join("\n")).toMatch(
        new RegExp(`gave up crawl run ${e.runId} .*longer than crawl.maxResumeAgeHours \\(24 h\\)`),
      );
      const byId = new Map((await runs(database)).map((r) => [r.run_id, r.status]));
      expect([a, b, e].map((r) => byId.get(r.runId))).toEqual([
        "abandoned",
        "abandoned",
        "abandoned",
      ]);
    } finally {
      sim.setFaults({});
      await database.close();
    }
  }, 180_000);

  it("takes over a dead holder's run, and refuses while a live holder keeps its lease", async () => {
    const database = await backend.open();
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"], {
      stdio: "ignore",
    });
    try {
      await database.db.insertInto("orgs").values({ org_id: sim.orgId, name: "held" }).execute();
      const now = new Date();
      const insert = (pid: number) =>
        database.db
          .insertInto("crawl_runs")
          .values({
            org_id: sim.orgId,
            strategy: "bulk",
            started_at: now,
            heartbeat_at: now,
            checkpoint: json({
              owner: { pid, host: hostname(), token: "t" },
              catalogDone: false,
              usersDone: false,
              usersPages: 0,
              sampleQueued: false,
            }),
          })
          .returning("run_id")
          .executeTakeFirstOrThrow();
      const live = await insert(sleeper.pid!);
      await expect(crawlSimulator(database.db, sim, "bulk")).rejects.toThrow(
        new RegExp(
          `another crawl of org .* is running \\(run ${live.run_id}, pid ${sleeper.pid} on`,
        ),
      );
      sleeper.kill("SIGKILL");
      await new Promise((r) => sleeper.once("exit", r));
      const result = await crawlSimulator(database.db, sim, "bulk");
      expect(result.runId).toBe(live.run_id);
      expect(result.resumed).toBe(true);
      expect(result.status).toBe("succeeded");
    } finally {
      sleeper.kill("SIGKILL");
      await database.close();
    }
  }, 180_000);
});
