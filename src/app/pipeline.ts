/**
 * The weekly job, once: crawl every configured org, build a report for each org whose crawl
 * succeeded, then email it. Each stage reads only what the stage before stored. A report is
 * never built from an incomplete or failed crawl, so nothing downstream acts on partial data.
 */
import type { CrawlAllOptions, CrawlOutcome } from "../crawl/crawl-all.ts";
import { crawlConfiguredOrgs } from "../crawl/crawl-all.ts";
import {
  audiencesOf,
  sendWeeklyEmail,
  type DeliveryOutcome,
  type SendWeeklyDeps,
} from "../email/send-weekly.ts";
import {
  buildReports,
  type BuiltReport,
  type BuildReportsOptions,
} from "../reports/build-report.ts";
import type { PolicyRule } from "../config/sections/policy.ts";
import { planOrgs, type PlanOutcome } from "../policy/plan/plan-orgs.ts";
import type { Runtime } from "./runtime.ts";

export interface PipelineResult {
  /** One outcome per org; a failed org does not stop the others. */
  crawls: CrawlOutcome[];
  reports: BuiltReport[];
  deliveries: DeliveryOutcome[];
  /** Why the email step did not run, when it did not. */
  emailSkipped?: string;
  /** Policy plans built after the reports (dry runs: the pipeline never applies one). */
  plans?: PlanOutcome[];
}

export interface PipelinePolicyOptions {
  /** Who the plans are made by. */
  actor: string;
  /** Rules to plan with when the config has none (the demo shows what a plan looks like). */
  rulesWhenNone?: PolicyRule[];
}

export async function runPipeline(
  runtime: Runtime,
  options: {
    crawl?: CrawlAllOptions;
    report?: Pick<BuildReportsOptions, "onProgress">;
    /** Also build a policy plan per reported org (stored, never applied). */
    policy?: PipelinePolicyOptions;
  } = {},
): Promise<PipelineResult> {
  const crawls = await crawlConfiguredOrgs(runtime, options.crawl);
  const reports: BuiltReport[] = [];
  for (const crawl of crawls.filter((c) => c.status === "succeeded")) {
    reports.push(...(await buildReports(runtime, { ...options.report, orgId: crawl.orgId })));
  }
  if (reports.length === 0) {
    return { crawls, reports, deliveries: [], emailSkipped: "no crawl succeeded, so no report" };
  }
  const plans = options.policy ? await planReported(runtime, reports, options.policy) : undefined;
  const withPlans = plans ? { plans } : {};
  if (audiencesOf(runtime.config.email).length === 0) {
    return {
      crawls,
      reports,
      deliveries: [],
      emailSkipped: "no recipients configured (REPORT_TO or email.to in the config file)",
      ...withPlans,
    };
  }
  const deliveries: DeliveryOutcome[] = [];
  for (const report of reports) {
    const signal = options.crawl?.signal;
    deliveries.push(
      ...(await sendWeeklyEmail(emailDeps(runtime), {
        orgId: report.orgId,
        ...(signal ? { signal } : {}),
      })),
    );
  }
  return { crawls, reports, deliveries, ...withPlans };
}

/** A dry-run plan for each reported org; nothing is approved or applied here. */
async function planReported(
  runtime: Runtime,
  reports: readonly BuiltReport[],
  policy: PipelinePolicyOptions,
): Promise<PlanOutcome[]> {
  const { config } = runtime;
  const rules = config.policy.rules.length > 0 ? config.policy.rules : (policy.rulesWhenNone ?? []);
  if (rules.length === 0) return [];
  const out: PlanOutcome[] = [];
  for (const orgId of new Set(reports.map((r) => r.orgId))) {
    out.push(
      ...(await planOrgs(
        { db: runtime.database.db, clock: runtime.clock, log: runtime.log },
        { policy: { ...config.policy, rules }, report: config.report, outDir: config.reportsDir },
        { orgId, actor: policy.actor },
      )),
    );
  }
  return out;
}

/** The narrow deps of the email use-case, from the runtime. */
export function emailDeps(runtime: Runtime): SendWeeklyDeps {
  return {
    db: runtime.database.db,
    email: runtime.config.email,
    smtpUrl: runtime.config.smtpUrl,
    reportsDir: runtime.config.reportsDir,
    clock: runtime.clock,
    log: runtime.log,
    timeZone: runtime.config.report.timezone,
  };
}
