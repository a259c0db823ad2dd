/**
 * The weekly job, once: crawl every configured org, build a report for each org whose crawl
 * succeeded, then email it. Each stage reads only what the stage before stored. A report is
 * never built from an incomplete or failed crawl, so nothing downstream acts on partial data.
 */
import type { CrawlAllOptions } from "../crawl/crawl-all.ts";
import { crawlConfiguredOrgs } from "../crawl/crawl-all.ts";
import type { CrawlOrgResult } from "../crawl/crawl-org.ts";
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
import type { Runtime } from "./runtime.ts";

export interface PipelineResult {
  crawls: CrawlOrgResult[];
  reports: BuiltReport[];
  deliveries: DeliveryOutcome[];
  /** Why the email step did not run, when it did not. */
  emailSkipped?: string;
}

export async function runPipeline(
  runtime: Runtime,
  options: { crawl?: CrawlAllOptions; report?: Pick<BuildReportsOptions, "onProgress"> } = {},
): Promise<PipelineResult> {
  const crawls = await crawlConfiguredOrgs(runtime, options.crawl);
  const reports: BuiltReport[] = [];
  for (const crawl of crawls.filter((c) => c.status === "succeeded")) {
    reports.push(...(await buildReports(runtime, { ...options.report, orgId: crawl.orgId })));
  }
  if (reports.length === 0) {
    return { crawls, reports, deliveries: [], emailSkipped: "no crawl succeeded, so no report" };
  }
  if (audiencesOf(runtime.config.email).length === 0) {
    return {
      crawls,
      reports,
      deliveries: [],
      emailSkipped: "no recipients configured (REPORT_TO or email.to in the config file)",
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
  return { crawls, reports, deliveries };
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
  };
}
