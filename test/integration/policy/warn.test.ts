/**
 * The warning period: approval emails each user once (outbox transport, delivery ledger), the
 * plan cannot be applied before the period ends, and a user a later crawl saw active is
 * dropped from the plan before anything is written.
 */
import { readdir, readFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { planActions } from "../../../src/db/repositories/policy-plans.repository.ts";
import { createMailTransport } from "../../../src/email/transport.ts";
import { applyPlan } from "../../../src/policy/apply/apply-plan.ts";
import { atlassianPolicyApi } from "../../../src/policy/apply/atlassian-policy-api.ts";
import { approvePlan } from "../../../src/policy/approve.ts";
import { buildPlan } from "../../../src/policy/plan/build-plan.ts";
import { sendWarnings } from "../../../src/policy/warnings.ts";
import { fixedClock } from "../../../src/shared/clock.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { crawl, policyConfig, reportConfig, simClient, TEST_SMTP, TIME_SCALE } from "./fixture.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describeEachBackend("policy warning period", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: 200, seed: "policy-warn" }],
      timeScale: TIME_SCALE,
    });
    database = await backend.open();
    dir = await mkdtemp(path.join(tmpdir(), "reclaim-warn-"));
  });
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  it("warns each user once, refuses to apply early, and drops a user who became active", async () => {
    const t0 = new Date(Date.now() + 60_000);
    const clock = fixedClock(t0);
    const policy = policyConfig({
      rules: [{ name: "idle-90", idleDays: 90 }],
      maxActions: 8,
      warnDays: 7,
      warning: { contact: "it-help@example.com" },
    });
    expect((await crawl(database.db, sim, { clock })).status).toBe("succeeded");
    const plan = await buildPlan(
      { db: database.db, clock, log: silentLogger },
      { policy, report: reportConfig, outDir: dir },
      { orgId: sim.orgId, actor: "planner" },
    );
    expect(plan.actions.length).toBeGreaterThan(2);
    const outbox = path.join(dir, "outbox");
    const transport = createMailTransport({
      smtpUrl: undefined,
      smtp: TEST_SMTP,
      outboxDir: outbox,
    });
    const approval = await approvePlan(
      { db: database.db, clock, log: silentLogger, transport },
      { policy },
      { planId: plan.planId, by: "approver", kind: "manual" },
    );
    expect(approval.warnUntil).toEqual(new Date(t0.getTime() + 7 * DAY));
    const users = [...new Set(plan.actions.map((a) => a.accountId))];
    expect(approval.warnings.map((w) => w.accountId).sort()).toEqual([...users].sort());
    expect(approval.warnings.every((w) => w.status === "written")).toBe(true);
    const files = await readdir(outbox);
    expect(files).toHaveLength(users.length);
    const first = plan.actions[0]!;
    const mail = await simpleParser(
      await readFile(
        path.join(
          outbox,
          files.find((f) => f.includes(first.email!))!,
        ),
      ),
    );
    expect(mail.to).toMatchObject({ text: first.email });
    expect(mail.text).toContain(first.productKey);
    expect(mail.text).toContain(approval.warnUntil!.toISOString().slice(0, 10));
    expect(mail.text).toContain("it-help@example.com");

    // Never twice: the ledger refuses a second send for the same plan and user.
    const again = await sendWarnings(
      { db: database.db, clock, transport },
      {
        planId: plan.planId,
        orgId: sim.orgId,
        orgName: "org",
        from: "x@example.com",
        actionDate: approval.warnUntil!,
        actions: await planActions(database.db, plan.planId),
        warning: policy.warning,
      },
    );
    expect(
      again.every((w) => w.status === "skipped" && w.detail === "already warned for this plan"),
    ).toBe(true);
    expect(await readdir(outbox)).toHaveLength(users.length);

    const deps = (now: Date) => ({
      db: database.db,
      api: atlassianPolicyApi(simClient(sim), sim.orgId),
      clock: fixedClock(now),
      log: silentLogger,
    });
    const options = {
      planId: plan.planId,
      actor: "tester",
      policy,
      settle: { attempts: 2, delayMs: 0 },
    };
    await expect(applyPlan(deps(new Date(t0.getTime() + DAY)), options)).rejects.toThrow(
      `plan ${plan.planId} cannot be applied before ${approval.warnUntil!.toISOString()}: the users' warning period (policy.warnDays) is not over`,
    );
    expect(sim.auditEvents()).toEqual([]);

    // One user uses the product during the warning period; the nightly crawl sees it.
    sim.recordActivity(0, first.accountId, first.resourceId!, Date.now());
    const later = new Date(t0.getTime() + 7 * DAY + HOUR);
    expect((await crawl(database.db, sim, { clock: fixedClock(later) })).status).toBe("succeeded");
    const result = await applyPlan(deps(new Date(later.getTime() + HOUR)), options);
    const stored = await planActions(database.db, plan.planId);
    const dropped = stored.filter(
      (a) => a.account_id === first.accountId && a.resource_id === first.resourceId,
    );
    expect(dropped).toMatchObject([
      {
        state: "dropped",
        outcome: expect.stringMatching(/seen by crawl run \d+, after the plan\): dropped$/),
      },
    ]);
    expect(
      result.outcomes.some(
        (o) => o.accountId === first.accountId && o.productKey === first.productKey,
      ),
    ).toBe(false);
    expect(result.outcomes.filter((o) => o.state === "done").length).toBeGreaterThan(0);
    transport.close();
  });
});
