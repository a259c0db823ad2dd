/**
 * `reclaim policy plan`: a stored, capped plan from the org's latest succeeded crawl — never
 * from stale, incomplete or failed data. It reads the same history the report reads
 * (`dormantUsersReader` as of the crawl) through the same rules, writes the plan workbook, its
 * CSV and the IdP change list beside the reports, and changes nothing in the org: a plan is a
 * dry run until it is approved and applied.
 */
import type { Kysely } from "kysely";
import type { PolicyConfig } from "../../config/sections/policy.ts";
import { priceFor, type ReportConfig } from "../../config/sections/report.ts";
import {
  directRolesOf,
  groupDirectoriesAt,
  insertPlan,
  orgDirectoryIds,
  orgProducts,
  setPlanFiles,
} from "../../db/repositories/policy-plans.repository.ts";
import {
  dormantUsersReader,
  productStats,
  type ReportWindow,
  type SucceededRun,
} from "../../db/repositories/reports.repository.ts";
import type { Database } from "../../db/schema.ts";
import { activityWindow } from "../../rules/index.ts";
import type { Clock } from "../../shared/clock.ts";
import type { Logger } from "../../shared/log.ts";
import { freshSucceededRun } from "../freshness.ts";
import type { CutEntry, ExcludedEntry, IdpChange, PlannedAction, PlanSummary } from "../model.ts";
import { applyCaps, byPriority, mergeRules, seatCap } from "./caps.ts";
import { writePlanFiles } from "./plan-files.ts";
import { ruleWindow, selectForRule, type RuleContext } from "./select.ts";

export interface PlanDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
}

export interface PlanSettings {
  policy: PolicyConfig;
  report: ReportConfig;
  /** Where the plan workbook, CSV and change list go (beside the reports). */
  outDir: string;
}

export interface BuiltPlan {
  planId: number;
  orgId: string;
  crawlRunId: number;
  dataAsOf: Date;
  summary: PlanSummary;
  actions: PlannedAction[];
  excluded: ExcludedEntry[];
  cut: CutEntry[];
  idpChanges: IdpChange[];
  workbookPath: string;
  csvPath: string;
  changeListPath: string;
}

/** Users of the org scanned per page of dormant users read. */
const PAGE_USERS = 3000;

/**
 * Builds and stores one org's plan.
 * @throws PolicyRefusal (exit 1) when the org's data is stale, incomplete or failed
 */
export async function buildPlan(
  deps: PlanDeps,
  settings: PlanSettings,
  options: { orgId: string; actor: string },
): Promise<BuiltPlan> {
  const { db, clock } = deps;
  const { policy, report } = settings;
  const now = clock.now();
  const run = await freshSucceededRun(db, options.orgId, now, policy.maxDataAgeHours);
  const reportW = windowOf(run, report);
  const billableSeats = (await productStats(db, reportW)).reduce((n, p) => n + p.seats, 0);
  const [directories, groupDirectories, products] = await Promise.all([
    orgDirectoryIds(db, run.orgId),
    groupDirectoriesAt(db, run),
    orgProducts(db, run.orgId),
  ]);
  const byResource = new Map(products.map((p) => [`${p.product_key} ${p.resource_id}`, p]));
  const siteOf = (resourceId: string) => {
    const p = products.find((x) => x.resource_id === resourceId);
    return p?.site_url?.replace(/^https?:\/\//, "").replace(/\/+$/, "") ?? null;
  };
  const label = (productKey: string, resourceId: string) => {
    const p = byResource.get(`${productKey} ${resourceId}`);
    const site = siteOf(resourceId);
    return `${p?.name ?? productKey}${site ? ` (${site})` : ""}`;
  };

  const perRule: PlannedAction[][] = [];
  const excluded: ExcludedEntry[] = [];
  const idpChanges: IdpChange[] = [];
  const reader = dormantUsersReader(db, run);
  for (const rule of policy.rules) {
    const w: ReportWindow = {
      ...ruleWindow(run.finishedAt, rule, report),
      orgId: run.orgId,
      runId: run.runId,
    };
    const actions: PlannedAction[] = [];
    for (let after: string | null = null; ;) {
      const page = await reader.page(w, after, PAGE_USERS);
      const users = page.users;
      const ctx: RuleContext = {
        orgId: run.orgId,
        rule,
        window: w,
        exclude: policy.exclude,
        directories,
        groupDirectories,
        directRoles: await directRolesOf(
          db,
          run.orgId,
          users.map((u) => u.accountId),
        ),
        price: (key) => priceFor(report, key).price,
        label,
        siteOf,
      };
      const selected = selectForRule(users, ctx);
      actions.push(...selected.actions);
      excluded.push(...selected.excluded);
      idpChanges.push(...selected.idp);
      if (page.next === null) break;
      after = page.next;
    }
    perRule.push(actions);
  }
  const merged = mergeRules(perRule);
  excluded.push(...merged.excluded);
  const caps = { maxActions: policy.maxActions, maxPercent: policy.maxPercent, billableSeats };
  const { kept, cut } = applyCaps([...merged.actions].sort(byPriority), caps);
  const summary: PlanSummary = {
    orgName: run.orgName,
    billableSeats,
    maxActions: policy.maxActions,
    maxPercent: policy.maxPercent,
    seatCap: seatCap(caps),
    actions: kept.length,
    seats: kept.reduce((n, a) => n + a.seats, 0),
    excluded: excluded.length,
    cut: cut.length,
    idpChanges: idpChanges.length,
    currency: report.currency,
    savingMonthly: Math.round(kept.reduce((n, a) => n + a.savingMonthly, 0) * 100) / 100,
    warnDays: policy.warnDays,
  };
  const planId = await insertPlan(
    db,
    {
      orgId: run.orgId,
      crawlRunId: run.runId,
      dataAsOf: run.finishedAt,
      createdAt: now,
      createdBy: options.actor,
      config: {
        rules: policy.rules,
        maxActions: policy.maxActions,
        maxPercent: policy.maxPercent,
        warnDays: policy.warnDays,
        maxDataAgeHours: policy.maxDataAgeHours,
        exclude: policy.exclude,
        dormantAfterDays: report.dormantAfterDays,
        newUserGraceDays: report.newUserGraceDays,
      },
      summary,
      excluded,
      cut,
      idpChanges,
    },
    kept,
  );
  const files = await writePlanFiles({
    outDir: settings.outDir,
    planId,
    orgId: run.orgId,
    orgName: run.orgName,
    dataAsOf: run.finishedAt,
    createdAt: now,
    summary,
    actions: kept,
    excluded,
    cut,
    idpChanges,
  });
  await setPlanFiles(db, planId, files);
  deps.log.info("policy plan stored", {
    planId,
    orgId: run.orgId,
    crawlRunId: run.runId,
    actions: kept.length,
    cut: cut.length,
    excluded: excluded.length,
    idpChanges: idpChanges.length,
  });
  return {
    planId,
    orgId: run.orgId,
    crawlRunId: run.runId,
    dataAsOf: run.finishedAt,
    summary,
    actions: kept,
    excluded,
    cut,
    idpChanges,
    ...files,
  };
}

function windowOf(run: SucceededRun, report: ReportConfig): ReportWindow {
  return { ...activityWindow(run.finishedAt, report), orgId: run.orgId, runId: run.runId };
}
