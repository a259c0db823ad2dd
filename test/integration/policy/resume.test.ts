/**
 * An apply that stops midway — the process killed with SIGKILL, or stopped right after a
 * write reached the API but before its answer was recorded — resumes without repeating a
 * write: the journal says which writes were sent, and a sent one is confirmed by a read.
 */
import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { migrateToLatest } from "../../../src/db/migrate.ts";
import { planActions } from "../../../src/db/repositories/policy-plans.repository.ts";
import { applyPlan } from "../../../src/policy/apply/apply-plan.ts";
import { atlassianPolicyApi } from "../../../src/policy/apply/atlassian-policy-api.ts";
import type { PolicyApi } from "../../../src/policy/apply/policy-api.ts";
import { approvePlan } from "../../../src/policy/approve.ts";
import { listAudit } from "../../../src/policy/audit.ts";
import { buildPlan } from "../../../src/policy/plan/build-plan.ts";
import { systemClock } from "../../../src/shared/clock.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { REPO_ROOT } from "../../helpers/cli.ts";
import { describeEachBackend, type SharedTestDatabase } from "../../helpers/database.ts";
import { crawl, policyConfig, reportConfig, simClient, TIME_SCALE } from "./fixture.ts";

const policy = policyConfig({ rules: [{ name: "idle-90", idleDays: 90 }], maxActions: 12 });

describeEachBackend("policy apply resumes", (backend) => {
  let sim: RunningSimulator;
  let shared: SharedTestDatabase;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: 150, seed: "policy-resume" }],
      timeScale: TIME_SCALE,
    });
    shared = await backend.shared();
    dir = await mkdtemp(path.join(tmpdir(), "reclaim-resume-"));
  });
  afterAll(async () => {
    await shared?.drop();
    await sim?.close();
  });

  const withDb = async <T>(fn: (db: ReclaimDatabase) => Promise<T>): Promise<T> => {
    const database = await shared.open();
    try {
      await migrateToLatest(database.db);
      return await fn(database);
    } finally {
      await database.close();
    }
  };
  const approvedPlan = (database: ReclaimDatabase) =>
    (async () => {
      expect((await crawl(database.db, sim)).status).toBe("succeeded");
      const p = await buildPlan(
        { db: database.db, clock: systemClock, log: silentLogger },
        { policy, report: reportConfig, outDir: dir },
        { orgId: sim.orgId, actor: "tester" },
      );
      expect(p.actions.length).toBeGreaterThan(4);
      await approvePlan(
        { db: database.db, clock: systemClock, log: silentLogger },
        { policy },
        {
          planId: p.planId,
          by: "approver",
          kind: "manual",
        },
      );
      return p.planId;
    })();
  const writeKeys = (sinceSeq: number) =>
    sim
      .auditEvents()
      .filter((e) => e.seq > sinceSeq)
      .map((e) => `${e.request!.method} ${e.request!.path}`);
  const lastSeq = () => sim.auditEvents().at(-1)?.seq ?? 0;

  it("confirms a write that reached the API before the run stopped, and does not send it again", async () => {
    await withDb(async (database) => {
      const planId = await approvedPlan(database);
      const seq = lastSeq();
      const api = atlassianPolicyApi(simClient(sim), sim.orgId);
      const stop = new AbortController();
      let sent = 0;
      // The third write reaches the API; the process "dies" before it hears the answer.
      const dying: PolicyApi = {
        ...api,
        write: async (op, target, signal) => {
          const r = await api.write(op, target, signal);
          if (++sent === 3) {
            stop.abort(new Error("killed"));
            throw stop.signal.reason;
          }
          return r;
        },
      };
      const options = {
        planId,
        actor: "tester",
        policy,
        concurrency: 1,
        settle: { attempts: 2, delayMs: 0 },
      };
      await expect(
        applyPlan(
          { db: database.db, api: dying, clock: systemClock, log: silentLogger },
          { ...options, signal: stop.signal },
        ),
      ).rejects.toThrow("killed");
      expect(writeKeys(seq)).toHaveLength(3);

      const resumed = await applyPlan(
        { db: database.db, api, clock: systemClock, log: silentLogger },
        options,
      );
      const keys = writeKeys(seq);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.length).toBe(3 + resumed.writes);
      const audit = await listAudit(database.db, planId);
      const confirmed = audit.filter((r) => r.outcome === "confirmed");
      expect(confirmed).toHaveLength(1);
      expect(keys).toContain(`${confirmed[0]!.request.method} ${confirmed[0]!.request.path}`);
      const states = (await planActions(database.db, planId)).map((a) => a.state);
      expect(states.every((s) => s === "done" || s === "skipped")).toBe(true);
    });
  });

  it("resumes after `reclaim policy apply` is killed with SIGKILL midway", async () => {
    const planId = await withDb(approvedPlan);
    const seq = lastSeq();
    const config = path.join(dir, "reclaim.config.json");
    await writeFile(
      config,
      JSON.stringify({
        policy: { rules: [{ name: "idle-90", idleDays: 90 }] },
        crawl: { lastActivePerMinute: 12_000 },
      }),
    );
    // Slow answers, so the kill lands between writes.
    sim.setFaults({ latencyMs: 120 });
    const child = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, "bin/reclaim.js"),
        "--config",
        config,
        "policy",
        "apply",
        String(planId),
        "--by",
        "cli",
      ],
      {
        cwd: dir,
        env: {
          ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "DATABASE_URL")),
          ...shared.env,
          ATLASSIAN_API_URL: sim.url,
          ATLASSIAN_API_KEY: sim.apiKey,
          ATLASSIAN_ORG_ID: sim.orgId,
        },
        stdio: "ignore",
      },
    );
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      // Wait (on the child, not on a timer) until it has made two writes, then kill it.
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (writeKeys(seq).length >= 2) {
            clearInterval(timer);
            resolve();
          } else if (child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`the child exited (${child.exitCode}) before writing`));
          }
        }, 20);
      });
      child.kill("SIGKILL");
      await exited;
    } finally {
      sim.setFaults({});
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    // A write the child sent just before it died may still be applied (the simulator's
    // latency): wait for the simulator, not a timer, before counting the child's writes.
    const settleBy = Date.now() + 30_000;
    while (sim.stats.inFlight > 0 && Date.now() < settleBy) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(sim.stats.inFlight, "requests the killed child left in flight").toBe(0);
    const before = writeKeys(seq).length;
    expect(before).toBeGreaterThanOrEqual(2);
    await withDb(async (database) => {
      const api = atlassianPolicyApi(simClient(sim), sim.orgId);
      const resumed = await applyPlan(
        { db: database.db, api, clock: systemClock, log: silentLogger },
        {
          planId,
          actor: "tester",
          policy,
          settle: { attempts: 2, delayMs: 0 },
        },
      );
      expect(resumed.writes, "the kill landed midway").toBeGreaterThan(0);
      const keys = writeKeys(seq);
      expect(new Set(keys).size, "no write was repeated").toBe(keys.length);
      // Every write is the child's (confirmed on resume, not sent again) or the resumed run's.
      expect(keys.length).toBe(before + resumed.writes);
      const states = (await planActions(database.db, planId)).map((a) => a.state);
      expect(states.every((s) => s === "done" || s === "skipped")).toBe(true);
      const audit = await listAudit(database.db, planId);
      expect(audit.some((r) => r.actor === "cli")).toBe(true);
      // every write the simulator logged has its after row, whoever made it
      const done = audit.filter(
        (r) => r.moment === "after" && /^(done|confirmed)/.test(r.outcome ?? ""),
      );
      expect(done.map((r) => `${r.request.method} ${r.request.path}`).sort()).toEqual(
        [...keys].sort(),
      );
    });
  });
});
