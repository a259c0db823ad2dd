/**
 * Apply against a simulator whose writes take effect late and whose reads lag the writes: the
 * engine waits (on virtual time) for the reads to show each write instead of recording a
 * write as failed or a seat as still held, and never sends a write twice.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { planActions } from "../../../src/db/repositories/policy-plans.repository.ts";
import { applyPlan } from "../../../src/policy/apply/apply-plan.ts";
import { atlassianPolicyApi } from "../../../src/policy/apply/atlassian-policy-api.ts";
import { approvePlan } from "../../../src/policy/approve.ts";
import { listAudit } from "../../../src/policy/audit.ts";
import { buildPlan } from "../../../src/policy/plan/build-plan.ts";
import { systemClock } from "../../../src/shared/clock.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { crawl, policyConfig, reportConfig, simClient, TIME_SCALE } from "./fixture.ts";

describeEachBackend("policy apply with delayed writes and lagging reads", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;
  /** Simulated time ahead of real time; the engine's sleeps add to it instead of waiting. */
  let offsetMs = 0;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: 150, seed: "policy-lag" }],
      timeScale: TIME_SCALE,
      clock: () => Date.now() + offsetMs,
    });
    database = await backend.open();
  });
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  it("waits for each write to show, then records it done", async () => {
    const policy = policyConfig({
      rules: [
        { name: "idle-90", idleDays: 90 },
        { name: "never-30", neverActiveAfterDays: 30, action: "suspend" },
      ],
      maxActions: 8,
    });
    expect((await crawl(database.db, sim)).status).toBe("succeeded");
    const dir = await mkdtemp(path.join(tmpdir(), "reclaim-lag-"));
    const p = await buildPlan(
      { db: database.db, clock: systemClock, log: silentLogger },
      { policy, report: reportConfig, outDir: dir },
      { orgId: sim.orgId, actor: "tester" },
    );
    await approvePlan(
      { db: database.db, clock: systemClock, log: silentLogger },
      { policy },
      {
        planId: p.planId,
        by: "approver",
        kind: "manual",
      },
    );
    sim.setFaults({ writeDelayMs: 20_000, readAfterWriteLagMs: 30_000 });
    const slept: number[] = [];
    const result = await applyPlan(
      {
        db: database.db,
        api: atlassianPolicyApi(simClient(sim), sim.orgId),
        clock: systemClock,
        log: silentLogger,
        sleep: (ms) => {
          slept.push(ms);
          offsetMs += ms;
          return Promise.resolve();
        },
      },
      {
        planId: p.planId,
        actor: "tester",
        policy,
        concurrency: 1,
        settle: { attempts: 6, delayMs: 5_000 },
      },
    );
    sim.setFaults({});
    expect(slept.length).toBeGreaterThan(0);
    const done = result.outcomes.filter((o) => o.state === "done");
    expect(done.length).toBeGreaterThan(0);
    const stored = await planActions(database.db, p.planId);
    for (const a of stored.filter((x) => x.state === "done"))
      expect(a.still_held, a.outcome ?? "").toBe(false);
    const after = (await listAudit(database.db, p.planId)).filter((r) => r.moment === "after");
    expect(after.length).toBe(result.writes);
    for (const r of after) expect(r.outcome).toBe("done");
    const keys = sim.auditEvents().map((e) => `${e.request!.method} ${e.request!.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(result.writes);
  });
});
