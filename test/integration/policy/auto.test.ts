/**
 * The scheduled policy job: with auto off it only plans; with auto on it approves its own plan
 * (recorded as auto), waits out the warning period over later runs, applies within the caps,
 * and still refuses stale data.
 */
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { getPlan } from "../../../src/db/repositories/policy-plans.repository.ts";
import { createMailTransport } from "../../../src/email/transport.ts";
import { listAudit } from "../../../src/policy/audit.ts";
import { runPolicyJob } from "../../../src/policy/auto.ts";
import { fixedClock } from "../../../src/shared/clock.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { crawl, policyConfig, reportConfig, simClient, TEST_SMTP, TIME_SCALE } from "./fixture.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describeEachBackend("scheduled policy job", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;
  let dir: string;
  const t0 = new Date(Date.now() + 60_000);

  const job = (now: Date, policy: Record<string, unknown>) => {
    const transport = createMailTransport({
      smtpUrl: undefined,
      smtp: TEST_SMTP,
      outboxDir: path.join(dir, "outbox"),
    });
    return runPolicyJob(
      {
        db: database.db,
        client: simClient(sim),
        clock: fixedClock(now),
        log: silentLogger,
        transport,
        sleep: () => Promise.resolve(),
      },
      {
        policy: policyConfig({
          rules: [{ name: "idle-90", idleDays: 90 }],
          maxActions: 5,
          ...policy,
        }),
        report: reportConfig,
        outDir: dir,
      },
      sim.orgId,
    ).finally(() => transport.close());
  };
  const events = () => sim.auditEvents().length;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: 250, seed: "policy-auto" }],
      timeScale: TIME_SCALE,
    });
    database = await backend.open();
    dir = await mkdtemp(path.join(tmpdir(), "reclaim-auto-"));
  });
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  it("with auto off, only plans: the plan waits for a person, nothing is written", async () => {
    expect((await crawl(database.db, sim, { clock: fixedClock(t0) })).status).toBe("succeeded");
    const r = await job(t0, { auto: false, warnDays: 0 });
    expect(r.kind).toBe("planned");
    if (r.kind !== "planned") return;
    expect((await getPlan(database.db, r.plan.planId))?.status).toBe("pending");
    expect(events()).toBe(0);
  });

  it("with auto on, approves as auto, waits out the warning period, then applies", async () => {
    const policy = { auto: true, warnDays: 7 };
    const first = await job(t0, policy);
    expect(first.kind).toBe("approved");
    if (first.kind !== "approved") return;
    const planId = first.plan.planId;
    expect(await getPlan(database.db, planId)).toMatchObject({
      approval: "auto",
      approved_by: "auto",
    });
    expect((await readdir(path.join(dir, "outbox"))).length).toBeGreaterThan(0);
    expect(events()).toBe(0);

    const t1 = new Date(t0.getTime() + DAY);
    expect((await crawl(database.db, sim, { clock: fixedClock(t1) })).status).toBe("succeeded");
    expect(await job(t1, policy)).toEqual({
      kind: "waiting",
      planId,
      until: first.approval.warnUntil,
    });
    expect(events()).toBe(0);

    // Stale data is refused even in auto mode: the last crawl is six days old.
    const refused = await job(new Date(t0.getTime() + 7 * DAY + 2 * HOUR), policy);
    expect(refused).toMatchObject({
      kind: "refused",
      reason: expect.stringMatching(/policy\.maxDataAgeHours/),
    });
    expect(events()).toBe(0);

    const t2 = new Date(t0.getTime() + 7 * DAY + HOUR);
    expect((await crawl(database.db, sim, { clock: fixedClock(t2) })).status).toBe("succeeded");
    const applied = await job(new Date(t2.getTime() + HOUR), policy);
    expect(applied.kind).toBe("applied");
    if (applied.kind !== "applied") return;
    expect(applied.planId).toBe(planId);
    expect(applied.result.writes).toBeGreaterThan(0);
    expect(applied.result.outcomes.length).toBeLessThanOrEqual(5);
    expect(events()).toBe(applied.result.writes);
    const audit = await listAudit(database.db, planId);
    expect(audit.every((r) => r.actor === "auto")).toBe(true);
  });
});
