/** The weekly email says what the policy would do next: the open plan and how to approve it. */
import { readFile } from "node:fs/promises";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { sendWeeklyEmail } from "../../../src/email/send-weekly.ts";
import { emailDeps } from "../../../src/app/pipeline.ts";
import { buildPlan } from "../../../src/policy/plan/build-plan.ts";
import { policyNextStep } from "../../../src/policy/next-step.ts";
import { buildReports } from "../../../src/reports/build-report.ts";
import { fixedClock } from "../../../src/shared/clock.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { reportRuntime } from "../../helpers/report-fixture.ts";
import { crawl, policyConfig, reportConfig, TIME_SCALE } from "./fixture.ts";

describeEachBackend("weekly email: the policy's next step", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: 120, seed: "policy-email" }],
      timeScale: TIME_SCALE,
    });
    database = await backend.open();
  });
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  it("names the pending plan and the command that approves it", async () => {
    const clock = fixedClock(new Date(Date.now() + 60_000));
    expect((await crawl(database.db, sim)).status).toBe("succeeded");
    const base = await reportRuntime(database, clock);
    const runtime = {
      ...base,
      config: { ...base.config, email: { ...base.config.email, to: ["admin@example.com"] } },
    };
    expect(await policyNextStep(database.db, sim.orgId)).toBeNull();
    const plan = await buildPlan(
      { db: database.db, clock, log: silentLogger },
      {
        policy: policyConfig({ maxActions: 3, warnDays: 7 }),
        report: reportConfig,
        outDir: base.reportsDir,
      },
      { orgId: sim.orgId, actor: "tester" },
    );
    const next = await policyNextStep(database.db, sim.orgId);
    expect(next).toMatchObject({ planId: plan.planId, status: "pending", actions: 3 });
    expect(next!.command).toBe(`reclaim policy approve ${plan.planId}`);

    await buildReports(runtime);
    const [delivery] = await sendWeeklyEmail(emailDeps(runtime), { orgId: sim.orgId });
    expect(delivery?.status).toBe("written");
    const mail = await simpleParser(await readFile(delivery!.path!));
    expect(mail.text).toContain(
      `What the policy would do next: Plan ${plan.planId} would make 3 actions`,
    );
    expect(mail.text).toContain(`reclaim policy approve ${plan.planId}`);
    expect(mail.text).toContain("users are warned 7 days ahead");
  });
});
