/**
 * `reclaim policy plan` on a seeded simulated org, crawled over real HTTP, on both database
 * backends: the plan selects what the report shows, never a protected account, sends
 * IdP-managed access to the change list, and holds its caps.
 */
import { readFile } from "node:fs/promises";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePlan } from "../../../src/cli/commands/policy.ts";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { getPlan, planActions } from "../../../src/db/repositories/policy-plans.repository.ts";
import { buildPlan, type BuiltPlan } from "../../../src/policy/plan/build-plan.ts";
import { buildReports } from "../../../src/reports/build-report.ts";
import { fixedClock } from "../../../src/shared/clock.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import {
  startSimulator,
  type RunningSimulator,
  type SimUser,
} from "../../../src/simulator/index.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { reportRuntime } from "../../helpers/report-fixture.ts";
import { crawl, parseCsv, policyConfig, reportConfig, TIME_SCALE } from "./fixture.ts";

const DAY = 86_400_000;

describeEachBackend("policy plan", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;
  let outDir: string;
  let reportRows: Record<string, string>[];
  let asOf: Date;
  const clock = fixedClock(new Date(Date.now() + 60_000));

  const plan = (policy: Record<string, unknown> = {}): Promise<BuiltPlan> =>
    buildPlan(
      { db: database.db, clock, log: silentLogger },
      { policy: policyConfig(policy), report: reportConfig, outDir },
      { orgId: sim.orgId, actor: "tester" },
    );
  const simUser = (id: string): SimUser => sim.orgs[0]!.users.find((u) => u.accountId === id)!;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [{ users: 400, seed: "policy-plan" }],
      timeScale: TIME_SCALE,
    });
    database = await backend.open();
    expect((await crawl(database.db, sim)).status).toBe("succeeded");
    const runtime = await reportRuntime(database, clock);
    outDir = runtime.reportsDir;
    const [built] = await buildReports(runtime);
    reportRows = parseCsv(await readFile(built!.csvPath, "utf8"));
    asOf = new Date(built!.summary.dataAsOf);
    expect(reportRows.length).toBeGreaterThan(20);
  }, 120_000);
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  it("removes exactly the report's dormant seats (same threshold), leaving out what the report says to leave", async () => {
    const p = await plan();
    const byAccount = new Map<string, number>();
    for (const a of p.actions) byAccount.set(a.accountId, (byAccount.get(a.accountId) ?? 0) + 1);
    const excluded = new Map(p.excluded.map((e) => [e.accountId, e.reason]));
    const idpAccounts = new Set(p.idpChanges.map((c) => c.accountId));
    const reportAccounts = new Set(reportRows.map((r) => r["Account ID"]));
    for (const accountId of byAccount.keys()) expect(reportAccounts).toContain(accountId);
    let planned = 0;
    for (const row of reportRows) {
      const id = row["Account ID"]!;
      const action = row["Suggested action"]!;
      if (action.startsWith("leave:")) {
        expect(byAccount.has(id), `${id} (${action}) must not be planned`).toBe(false);
        expect(excluded.get(id)).toMatch(/^protected: /);
      } else if (action === "change in the IdP") {
        expect(idpAccounts, `${id} must be in the IdP change list`).toContain(id);
      } else {
        // suspend / remove product access: every dormant seat becomes one action
        expect(byAccount.get(id), `${id} (${action})`).toBe(row["Dormant in"]!.split(", ").length);
        planned += byAccount.get(id)!;
      }
    }
    expect(planned).toBeGreaterThan(0);
    // Stored as it was returned, in the same order.
    const stored = await planActions(database.db, p.planId);
    expect(stored.map((a) => `${a.account_id} ${a.resource_id}`)).toEqual(
      p.actions.map((a) => `${a.accountId} ${a.resourceId}`),
    );
    expect((await getPlan(database.db, p.planId))?.status).toBe("pending");
  });

  it("suspends exactly the report's 'suspend' rows with a suspend rule", async () => {
    const p = await plan({ rules: [{ name: "suspend-90", idleDays: 90, action: "suspend" }] });
    const suspended = new Set(p.actions.map((a) => a.accountId));
    const expected = reportRows
      .filter((r) => r["Suggested action"] === "suspend")
      .map((r) => r["Account ID"]);
    expect([...suspended].sort()).toEqual([...expected].sort());
    for (const a of p.actions) {
      expect(a.kind).toBe("suspend");
      const dirs = Object.keys(simUser(a.accountId).memberships);
      // Writes name real directories, never "-".
      for (const c of a.calls) expect(c.path).not.toContain("/directories/-/");
      if (sim.orgs[0]!.directories.length === 1)
        expect(a.calls.map((c) => c.path)).toEqual(
          dirs.map(
            (d) =>
              `/admin/v2/orgs/${sim.orgId}/directories/${d}/users/${encodeURIComponent(a.accountId)}/suspend`,
          ),
        );
    }
  });

  it("never plans a protected account (checked against the simulator's truth)", async () => {
    const base = await plan();
    const victim = base.actions[0]!;
    const byEmail = base.actions.find((a) => a.accountId !== victim.accountId && a.email)!;
    const group = sim.orgs[0]!.groups.find(
      (g) => g.id === base.actions.at(-1)!.detail.groups[0]?.groupId,
    )!;
    const p = await plan({
      exclude: {
        accounts: [victim.accountId.toUpperCase()],
        emails: [byEmail.email!],
        groups: [group.name],
      },
    });
    const adminGroups = new Set(
      sim.orgs[0]!.groups.filter(
        (g) => g.isAdminGroup || g.roles.some((r) => /admin/.test(r.role)),
      ).map((g) => g.id),
    );
    for (const a of p.actions) {
      const u = simUser(a.accountId);
      expect(u.platformRoles, a.accountId).toEqual([]);
      expect(
        u.groupIds.some((g) => adminGroups.has(g)),
        `${a.accountId} in an admin group`,
      ).toBe(false);
      expect(u.accountType).toBe("atlassian");
      expect(new Date(u.addedToOrg).getTime()).toBeLessThanOrEqual(asOf.getTime() - 30 * DAY);
      expect(u.managementSource).not.toBe("synced");
      expect(a.accountId).not.toBe(victim.accountId);
      expect(a.email).not.toBe(byEmail.email);
      expect(u.groupIds).not.toContain(group.id);
    }
    const reasons = p.excluded.map((e) => `${e.accountId} ${e.reason}`);
    expect(reasons).toContain(`${victim.accountId} protected: excluded account`);
    expect(reasons).toContain(`${byEmail.accountId} protected: excluded email`);
    expect(reasons.some((r) => r.endsWith("protected: excluded group"))).toBe(true);
  });

  it("lists IdP-managed access per IdP group for the IdP admin and never edits an IdP group", async () => {
    const p = await plan();
    const idpGroups = new Set(sim.orgs[0]!.groups.filter((g) => g.externalSynced).map((g) => g.id));
    for (const a of p.actions)
      for (const g of a.detail.groups) expect(idpGroups.has(g.groupId)).toBe(false);
    expect(p.idpChanges.length).toBeGreaterThan(0);
    for (const c of p.idpChanges) {
      const u = simUser(c.accountId);
      if (c.groupId !== null) expect(idpGroups.has(c.groupId)).toBe(true);
      else expect(u.managementSource).toBe("synced");
    }
    const csv = parseCsv(await readFile(p.changeListPath, "utf8"));
    expect(csv).toHaveLength(p.idpChanges.length);
    const groupsInOrder = csv.map((r) => r["IdP group"]!);
    expect(groupsInOrder).toEqual([...groupsInOrder].sort((a, b) => a.localeCompare(b)));
  });

  it("holds both caps and reports what they cut", async () => {
    const all = await plan();
    const five = await plan({ maxActions: 5 });
    expect(five.actions.map((a) => `${a.accountId} ${a.resourceId}`)).toEqual(
      all.actions.slice(0, 5).map((a) => `${a.accountId} ${a.resourceId}`),
    );
    expect(five.cut).toHaveLength(all.actions.length - 5);
    expect(five.cut.every((c) => /over policy\.maxActions \(5/.test(c.reason))).toBe(true);

    const pct = await plan({ maxPercent: 1 });
    const cap = Math.floor(pct.summary.billableSeats / 100);
    expect(pct.summary.seatCap).toBe(cap);
    expect(pct.summary.seats).toBeLessThanOrEqual(cap);
    expect(pct.actions.length + pct.cut.length).toBe(all.actions.length);
    expect(pct.cut[0]?.reason).toMatch(/over policy\.maxPercent \(1% of \d+ billable seats/);
    // the priority order: never-used seats first, then the longest idle
    const idle = all.actions.map((a) => a.detail.daysIdle ?? Number.POSITIVE_INFINITY);
    expect(idle).toEqual([...idle].sort((a, b) => b - a));
  });

  it("writes the plan workbook and CSV with the exact API calls", async () => {
    const p = await plan({ maxActions: 10 });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(p.workbookPath);
    expect(wb.worksheets.map((w) => w.name)).toEqual([
      "Plan",
      "Actions",
      "Left out",
      "IdP change list",
    ]);
    expect(wb.getWorksheet("Actions")!.rowCount).toBe(11);
    const csv = parseCsv(await readFile(p.csvPath, "utf8"));
    expect(csv.map((r) => r["Account ID"])).toEqual(p.actions.map((a) => a.accountId));
    for (const [i, r] of csv.entries())
      expect(r["API calls"]).toContain(p.actions[i]!.calls[0]!.path);
    const text = describePlan(p);
    expect(text).toMatch(/^plan \d+ for .* \(dry run; data as of /);
    expect(text).toMatch(new RegExp(`next: \`(npx )?reclaim policy approve ${p.planId}\``));
  });
});
