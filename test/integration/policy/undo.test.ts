/**
 * `reclaim policy undo` returns the simulated org to its exact prior state (status, group
 * memberships, direct roles), field for field against a snapshot taken before apply; a
 * licence-limit answer is reported, not hidden; undoing again does nothing.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { getPlan, planActions } from "../../../src/db/repositories/policy-plans.repository.ts";
import { applyPlan } from "../../../src/policy/apply/apply-plan.ts";
import { atlassianPolicyApi } from "../../../src/policy/apply/atlassian-policy-api.ts";
import { undoPlan } from "../../../src/policy/apply/undo-plan.ts";
import { approvePlan } from "../../../src/policy/approve.ts";
import { listAudit } from "../../../src/policy/audit.ts";
import { buildPlan } from "../../../src/policy/plan/build-plan.ts";
import { priceFor } from "../../../src/config/sections/report.ts";
import { buildReports } from "../../../src/reports/build-report.ts";
import { fixedClock, systemClock } from "../../../src/shared/clock.ts";
import { reportRuntime } from "../../helpers/report-fixture.ts";
import ExcelJS from "exceljs";
import { silentLogger } from "../../../src/shared/log.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { crawl, policyConfig, reportConfig, simClient, TIME_SCALE } from "./fixture.ts";

const DAY = 86_400_000;

describeEachBackend("policy undo", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;
  const policy = policyConfig({
    allowDeactivate: true,
    rules: [
      { name: "never-30", neverActiveAfterDays: 30, action: "suspend" },
      { name: "managed-180", idleDays: 180, action: "deactivate", managed: "managed" },
      { name: "idle-90", idleDays: 90 },
    ],
    maxActions: 60,
  });
  const deps = () => ({
    db: database.db,
    api: atlassianPolicyApi(simClient(sim), sim.orgId),
    clock: systemClock,
    log: silentLogger,
  });
  const settle = { attempts: 2, delayMs: 0 };
  /** Builds the report at `at`; its realized savings, and the Finance sheet's total row. */
  const reportFinance = async (at: Date) => {
    const runtime = await reportRuntime(database, fixedClock(at));
    const [built] = await buildReports(runtime);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(built!.workbookPath);
    let sheetTotal = Number.NaN;
    wb.getWorksheet("Finance")!.eachRow((row) => {
      if (row.getCell(1).value === "Total" && typeof row.getCell(3).value === "number")
        sheetTotal = row.getCell(3).value as number;
    });
    return { summary: built!.summary.realized!, sheetTotal };
  };

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: 400, seed: "policy-undo" }],
      timeScale: TIME_SCALE,
    });
    database = await backend.open();
  });
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  it("restores the exact prior state, reporting a licence-limit refusal until a seat is free", async () => {
    expect((await crawl(database.db, sim)).status).toBe("succeeded");
    const p = await buildPlan(
      { db: database.db, clock: systemClock, log: silentLogger },
      { policy, report: reportConfig, outDir: await mkdtemp(path.join(tmpdir(), "reclaim-undo-")) },
      { orgId: sim.orgId, actor: "tester" },
    );
    const kinds = new Set(p.actions.map((a) => a.kind));
    expect(kinds).toEqual(new Set(["suspend", "deactivate", "remove-product-access"]));
    await approvePlan(
      { db: database.db, clock: systemClock, log: silentLogger },
      { policy },
      {
        planId: p.planId,
        by: "approver",
        kind: "manual",
      },
    );
    const before = sim.snapshot();
    const applied = await applyPlan(deps(), { planId: p.planId, actor: "tester", policy, settle });
    expect(applied.writes).toBeGreaterThan(0);
    expect(sim.snapshot()).not.toEqual(before);
    const seqAfterApply = sim.auditEvents().at(-1)!.seq;

    // Finance: realized savings of the applied actions, two months later.
    const later = new Date(Date.now() + 61 * DAY);
    const doneActions = (await planActions(database.db, p.planId)).filter(
      (a) => a.state === "done" && !a.still_held,
    );
    const expectedMonthly = doneActions
      .flatMap((a) => (a.detail as { seatsFreed: { productKey: string }[] }).seatsFreed)
      .reduce((n, s) => n + priceFor(reportConfig, s.productKey).price, 0);
    const realized = await reportFinance(later);
    expect(realized.summary.monthly).toBeCloseTo(expectedMonthly, 1);
    expect(realized.summary.toDate).toBeCloseTo(expectedMonthly * (61 / (365.25 / 12)), 0);
    expect(realized.sheetTotal).toBeCloseTo(expectedMonthly, 1);

    // No free seat on the product of the first removed seat: re-adding it is refused.
    const removal = (await planActions(database.db, p.planId)).find(
      (a) => a.kind === "remove-product-access" && a.state === "done",
    )!;
    sim.setLicenseLimit(0, removal.resource_id!, sim.seatsUsed(0, removal.resource_id!));
    const blocked = await undoPlan(deps(), { planId: p.planId, actor: "undoer", settle });
    const refused = blocked.outcomes.filter((o) => o.state === "undo failed");
    expect(refused.length).toBeGreaterThan(0);
    for (const o of refused) expect(o.outcome).toMatch(/^licence limit: HTTP 409/);
    expect(blocked.undone).toBe(false);
    expect((await getPlan(database.db, p.planId))?.status).not.toBe("undone");

    sim.setLicenseLimit(0, removal.resource_id!, null);
    const finished = await undoPlan(deps(), { planId: p.planId, actor: "undoer", settle });
    expect(finished.outcomes.every((o) => o.state === "undone")).toBe(true);
    expect(finished.undone).toBe(true);
    expect(sim.snapshot()).toEqual(before);
    expect((await getPlan(database.db, p.planId))?.status).toBe("undone");
    // undone actions realize nothing
    expect((await reportFinance(later)).summary).toMatchObject({ actions: 0, monthly: 0 });

    // Undo writes are audited like any other: each event of the undo has its after row.
    const undoEvents = sim.auditEvents().filter((e) => e.seq > seqAfterApply);
    const undoAfter = (await listAudit(database.db, p.planId)).filter(
      (r) => r.phase === "undo" && r.moment === "after" && r.outcome === "done",
    );
    expect(undoAfter.map((r) => `${r.request.method} ${r.request.path}`).sort()).toEqual(
      undoEvents.map((e) => `${e.request!.method} ${e.request!.path}`).sort(),
    );
    expect(undoAfter.every((r) => r.actor === "undoer")).toBe(true);

    // Undoing an undone plan is a no-op.
    const seq = sim.auditEvents().at(-1)!.seq;
    const again = await undoPlan(deps(), { planId: p.planId, actor: "undoer", settle });
    expect(again).toMatchObject({ writes: 0, outcomes: [] });
    expect(sim.auditEvents().filter((e) => e.seq > seq)).toEqual([]);
  });
});
