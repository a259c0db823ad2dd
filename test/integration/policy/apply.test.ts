/**
 * `reclaim policy approve` and `apply` against the simulator over real HTTP, on both
 * backends: approval is required, users active since the crawl are skipped, every write the
 * simulator logged has its audit rows (and no API key), re-applying writes nothing, two
 * concurrent applies write each change once, and too many failures stop the run.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { getPlan, planActions } from "../../../src/db/repositories/policy-plans.repository.ts";
import { applyPlan, type ApplyResult } from "../../../src/policy/apply/apply-plan.ts";
import { atlassianPolicyApi } from "../../../src/policy/apply/atlassian-policy-api.ts";
import { approvePlan } from "../../../src/policy/approve.ts";
import { listAudit } from "../../../src/policy/audit.ts";
import { PolicyRefusal } from "../../../src/policy/errors.ts";
import { buildPlan } from "../../../src/policy/plan/build-plan.ts";
import { systemClock } from "../../../src/shared/clock.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import {
  startSimulator,
  type RunningSimulator,
  type SimEvent,
} from "../../../src/simulator/index.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { crawl, policyConfig, reportConfig, simClient, TIME_SCALE } from "./fixture.ts";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

describeEachBackend("policy apply", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;
  let outDir: string;
  const raw = {
    rules: [
      { name: "idle-90", idleDays: 90 },
      { name: "never-30", neverActiveAfterDays: 30, action: "suspend" },
    ],
    maxActions: 10,
  };
  const policy = policyConfig(raw);

  const deps = () => ({
    db: database.db,
    api: atlassianPolicyApi(simClient(sim), sim.orgId),
    clock: systemClock,
    log: silentLogger,
  });
  const apply = (planId: number, over: Partial<Parameters<typeof applyPlan>[1]> = {}) =>
    applyPlan(deps(), {
      planId,
      actor: "tester",
      policy,
      settle: { attempts: 3, delayMs: 0 },
      ...over,
    });
  /** A plan from a new crawl: what earlier tests changed is seen, as a nightly crawl sees it. */
  const newPlan = async (over: Record<string, unknown> = {}) => {
    expect((await crawl(database.db, sim)).status).toBe("succeeded");
    const p = await buildPlan(
      { db: database.db, clock: systemClock, log: silentLogger },
      { policy: policyConfig({ ...raw, ...over }), report: reportConfig, outDir },
      { orgId: sim.orgId, actor: "tester" },
    );
    expect(p.actions.length).toBeGreaterThan(2);
    return p;
  };
  const approve = (planId: number) =>
    approvePlan(
      { db: database.db, clock: systemClock, log: silentLogger },
      { policy },
      { planId, by: "approver", kind: "manual" },
    );
  const eventsSince = (seq: number): SimEvent[] => sim.auditEvents().filter((e) => e.seq > seq);
  const lastSeq = () => sim.auditEvents().at(-1)?.seq ?? 0;
  const writesOf = (r: ApplyResult) => r.writes;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: 300, seed: "policy-apply" }],
      timeScale: TIME_SCALE,
    });
    database = await backend.open();
    outDir = await mkdtemp(path.join(tmpdir(), "reclaim-apply-"));
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  it("refuses a plan nobody approved, and records who approved it", async () => {
    const p = await newPlan();
    const refused = apply(p.planId);
    await expect(refused).rejects.toBeInstanceOf(PolicyRefusal);
    await expect(refused).rejects.toThrow(
      `plan ${p.planId} is not approved: run \`reclaim policy approve ${p.planId}\` first`,
    );
    expect(sim.auditEvents()).toEqual([]);
    const a = await approve(p.planId);
    expect(a).toMatchObject({ approvedBy: "approver", approval: "manual", warnUntil: null });
    const stored = await getPlan(database.db, p.planId);
    expect(stored).toMatchObject({
      status: "approved",
      approved_by: "approver",
      approval: "manual",
    });
    await expect(approve(p.planId)).rejects.toThrow(/already approved by approver/);
  });

  it("skips a user active since the crawl, applies the rest, and audits every write the simulator logged", async () => {
    const p = await newPlan();
    await approve(p.planId);
    const woken = p.actions.find((a) => a.kind === "remove-product-access")!;
    sim.recordActivity(0, woken.accountId, woken.resourceId!, Date.now());
    const before = lastSeq();
    const result = await apply(p.planId);
    const byAccount = (id: string) => result.outcomes.filter((o) => o.accountId === id);
    expect(byAccount(woken.accountId).find((o) => o.productKey === woken.productKey)).toMatchObject(
      {
        state: "skipped",
        outcome: expect.stringMatching(/^active since the crawl: /),
      },
    );
    const done = result.outcomes.filter((o) => o.state === "done");
    expect(done.length).toBeGreaterThan(0);
    expect(result.status).toBe("applied");

    // The simulator's truth: each done removal left the group, each done suspension suspended.
    const snap = sim.snapshot();
    for (const a of await planActions(database.db, p.planId)) {
      const detail = a.detail as { groups: { groupId: string }[] };
      const u = snap.users[a.account_id]!;
      if (a.state !== "done") continue;
      if (a.kind === "suspend") expect(Object.values(u.memberships)).not.toContain("active");
      else for (const g of detail.groups) expect(u.groupIds).not.toContain(g.groupId);
    }

    // 100% of the writes: every event the simulator appended has its before and after rows.
    const events = eventsSince(before);
    expect(events.length).toBe(writesOf(result));
    const audit = await listAudit(database.db, p.planId);
    const after = audit.filter((r) => r.moment === "after" && r.outcome?.startsWith("done"));
    const key = (method: string, p2: string) => `${method} ${p2}`;
    expect(after.map((r) => key(r.request.method, r.request.path)).sort()).toEqual(
      events.map((e) => key(e.request!.method, e.request!.path)).sort(),
    );
    for (const r of after) {
      const pair = audit.filter((x) => x.stepId === r.stepId && x.moment === "before");
      expect(pair).toHaveLength(1);
      expect(pair[0]!.at.getTime()).toBeLessThanOrEqual(r.at.getTime());
      expect(r).toMatchObject({ actor: "tester", planId: p.planId, responseStatus: 204 });
      expect(r.rule).toMatch(/^(idle-90|never-30)$/);
    }
    const text = JSON.stringify(await database.db.selectFrom("policy_audit").selectAll().execute());
    expect(text).not.toContain(sim.apiKey);
    expect(text).not.toMatch(/bearer/i);
  });

  it("does nothing new when applied again", async () => {
    const p = await newPlan();
    await approve(p.planId);
    const first = await apply(p.planId);
    expect(first.writes).toBeGreaterThan(0);
    const seq = lastSeq();
    const again = await apply(p.planId);
    expect(again).toMatchObject({ writes: 0, outcomes: [], status: first.status });
    expect(eventsSince(seq)).toEqual([]);
  });

  it("makes each write once when two applies of the plan run at the same time", async () => {
    const p = await newPlan();
    await approve(p.planId);
    const seq = lastSeq();
    const runs = await Promise.allSettled([apply(p.planId), apply(p.planId)]);
    const fulfilled = runs.filter((r) => r.status === "fulfilled");
    // the second one finds the org claimed and is refused
    expect(fulfilled).toHaveLength(1);
    for (const r of runs) {
      if (r.status === "rejected") {
        expect(r.reason).toBeInstanceOf(PolicyRefusal);
        expect(String(r.reason)).toMatch(
          /another apply or undo of org .* is running \(plan \d+, pid \d+ on /,
        );
      }
    }
    const events = eventsSince(seq);
    const keys = events.map((e) => `${e.request!.method} ${e.request!.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    const total = fulfilled.reduce(
      (n, r) => n + (r.status === "fulfilled" ? r.value.writes : 0),
      0,
    );
    expect(events.length).toBe(total);
    const states = (await planActions(database.db, p.planId)).map((a) => a.state);
    expect(states.every((s) => s === "done" || s === "skipped")).toBe(true);
  });

  it("records each failure with the API's answer and stops after policy.stopAfterFailures", async () => {
    const p = await newPlan({ rules: [{ name: "idle-90", idleDays: 90 }] });
    await approve(p.planId);
    sim.setFaults({
      routeErrorRates: { "groups.removeMember": 1, "userRoles.revoke": 1 },
      statuses: [500],
    });
    let result: ApplyResult;
    try {
      result = await apply(p.planId, {
        policy: { ...policy, stopAfterFailures: 2 },
        concurrency: 1,
      });
    } finally {
      sim.setFaults({});
    }
    expect(result.status).toBe("stopped");
    expect(result.stopped).toMatch(
      /stopped after 2 failed actions \(policy\.stopAfterFailures = 2\)/,
    );
    const failed = result.outcomes.filter((o) => o.state === "failed");
    expect(failed).toHaveLength(2);
    for (const f of failed) expect(f.outcome).toMatch(/^HTTP 500: /);
    const stored = await planActions(database.db, p.planId);
    expect(stored.filter((a) => a.state === "planned").length).toBeGreaterThan(0);
    const audit = await listAudit(database.db, p.planId);
    const failedRows = audit.filter((r) => r.moment === "after" && r.outcome === "failed");
    expect(failedRows.length).toBe(2);
    for (const r of failedRows) expect(r.responseStatus).toBe(500);

    // Fixed: the rest applies; the failed ones only with --retry-failed.
    const rest = await apply(p.planId);
    expect(rest.outcomes.every((o) => o.state !== "failed")).toBe(true);
    expect(rest.status).toBe("partial");
    const retried = await apply(p.planId, { retryFailed: true });
    expect(retried.outcomes.map((o) => o.state)).toEqual(["done", "done"]);
    expect(retried.status).toBe("applied");
  });
});
