/**
 * The weekly job, once: crawl every configured org, build a report for each org whose crawl
 * succeeded, then email it. Each stage reads only what the stage before stored. A report is
 * never built from an incomplete or failed crawl, so nothing downstream acts on partial data.
 */
import type { CrawlAllOptions, CrawlOutcome } from "../crawl/crawl-all.ts";
import { crawlConfiguredOrgs } from "../crawl/crawl-all.ts";
import { audiencesOf, sendWeeklyEmail, type DeliveryOutcome } from "../email/send-weekly.ts";
import {
  buildReports,
  type BuiltReport,
  type BuildReportsOptions,
} from "../reports/build-report.ts";
import type { Runtime } from "./runtime.ts";

export interface PipelineResult {
  /** One outcome per org; a failed org does not stop the others. */
  crawls: CrawlOutcome[];
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
  if (audiencesOf(runtime).length === 0) {
    return {
      crawls,
      reports,
      deliveries: [],
      emailSkipped: "no recipients configured (REPORT_TO or email.to in the config file)",
    };
  }
  const deliveries: DeliveryOutcome[] = [];
  for (const report of reports) {
    deliveries.push(...(await sendWeeklyEmail(runtime, { orgId: report.orgId })));
  }
  return { crawls, reports, deliveries };
}
