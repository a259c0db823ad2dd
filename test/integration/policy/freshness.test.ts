/**
 * A plan is built from the latest succeeded crawl only: stale, incomplete and failed crawl
 * data are refused with one line that says what to do.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { buildPlan } from "../../../src/policy/plan/build-plan.ts";
import { PolicyRefusal } from "../../../src/policy/errors.ts";
import { fixedClock } from "../../../src/shared/clock.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { crawl, policyConfig, reportConfig, TIME_SCALE } from "./fixture.ts";

const HOUR = 3_600_000;

describeEachBackend("policy plan refuses data it cannot trust", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;
  let outDir: string;

  const plan = (now: Date) =>
    buildPlan(
      { db: database.db, clock: fixedClock(now), log: silentLogger },
      { policy: policyConfig({ maxDataAgeHours: 48 }), report: reportConfig, outDir },
      { orgId: sim.orgId, actor: "tester" },
    );

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: 80, seed: "policy-fresh" }],
      timeScale: TIME_SCALE,
    });
    database = await backend.open();
    outDir = await mkdtemp(path.join(tmpdir(), "reclaim-plan-"));
  });
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  it("refuses before any crawl, and when the latest succeeded crawl is older than maxDataAgeHours", async () => {
    await expect(plan(new Date())).rejects.toThrow(
      /no finished crawl of org .*run `reclaim crawl` first/,
    );
    const crawlAt = new Date("2026-11-20T06:00:00Z");
    expect((await crawl(database.db, sim, { clock: fixedClock(crawlAt) })).status).toBe(
      "succeeded",
    );
    await expect(plan(new Date(crawlAt.getTime() + 47 * HOUR))).resolves.toMatchObject({
      orgId: sim.orgId,
    });
    const stale = plan(new Date(crawlAt.getTime() + 49 * HOUR));
    await expect(stale).rejects.toBeInstanceOf(PolicyRefusal);
    await expect(stale).rejects.toThrow(
      /^the latest crawl of org \S+ \(run \d+\) finished 49\.0 hours ago, more than policy\.maxDataAgeHours \(48\): run `reclaim crawl` first$/,
    );
  });

  it("refuses when the latest crawl is incomplete, even though an older one succeeded", async () => {
    const victim = sim.orgs[0]!.users.find((u) => u.accountType === "atlassian")!;
    sim.setFaults({ alwaysFailAccountIds: [victim.accountId] });
    const result = await crawl(database.db, sim, { strategy: "per-user", maxAttempts: 1 });
    sim.setFaults({});
    expect(result.status).toBe("incomplete");
    await expect(plan(new Date())).rejects.toThrow(
      /^the latest crawl of org \S+ \(run \d+, finished .*\) is incomplete .*the policy acts only on a complete crawl; run `reclaim crawl` again$/,
    );
  });

  it("refuses when the latest crawl failed, and plans again once a crawl succeeds", async () => {
    // The connection drops on the workspaces call: the crawl starts, then fails.
    const flaky: typeof fetch = (input, init) =>
      String(input instanceof Request ? input.url : input).includes("/workspaces")
        ? Promise.reject(new TypeError("fetch failed: connection reset"))
        : fetch(input, init);
    const result = await crawl(database.db, sim, { maxAttempts: 1, fetch: flaky });
    expect(result.status).toBe("failed");
    await expect(plan(new Date())).rejects.toThrow(/is failed .*run `reclaim crawl` again$/);
    expect((await crawl(database.db, sim)).status).toBe("succeeded");
    await expect(plan(new Date())).resolves.toMatchObject({ orgId: sim.orgId });
  });
});
