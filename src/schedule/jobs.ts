/**
 * The scheduler's one seam onto the use-cases: each job, for one org, calls exactly what the
 * CLI calls (crawl-all's crawlOneOrg, buildReports, sendWeeklyEmail, the policy step) and turns
 * the result into a ledger outcome and summary. No business rule lives here; when a use-case's
 * signature changes, this file is the one place the scheduler changes with it.
 */
import type { OrgClient } from "../app/org-clients.ts";
import type { Runtime } from "../app/runtime.ts";
import type { ScheduleJobName } from "../config/sections/schedule.ts";
import { crawlOneOrg } from "../crawl/crawl-all.ts";
import { emailDeps } from "../app/pipeline.ts";
import { audiencesOf, sendWeeklyEmail } from "../email/send-weekly.ts";
import { buildReports } from "../reports/build-report.ts";
import { errorMessage } from "../shared/errors.ts";
import { runPolicyJob } from "./policy-job.ts";
import type { JobContext, JobResult, JobRunner } from "./scheduler.ts";

/** The three jobs, wired to the runtime's database, config, clock and log. */
export function scheduledJobs(runtime: Runtime): Record<ScheduleJobName, JobRunner> {
  return {
    crawl: (ctx) => crawlJob(runtime, ctx),
    report: (ctx) => reportJob(runtime, ctx),
    policy: (ctx) => runPolicyJob(runtime, ctx),
  };
}

async function crawlJob(runtime: Runtime, ctx: JobContext): Promise<JobResult> {
  const outcome = await crawlOneOrg(
    {
      db: runtime.database.db,
      clock: runtime.clock,
      log: runtime.log,
      crawl: runtime.config.crawl,
    },
    ctx.org,
    { signal: ctx.signal },
  );
  if (outcome.runId === null) {
    return { status: "failed", summary: { orgId: outcome.orgId }, error: outcome.error };
  }
  const summary = {
    orgId: outcome.orgId,
    crawlRunId: outcome.runId,
    crawlStatus: outcome.status,
    resumed: outcome.resumed,
    strategy: outcome.strategy,
    users: outcome.users,
    usersFailed: outcome.usersFailed,
    products: outcome.products,
    removed: outcome.removed,
    apiCalls: outcome.apiCallsTotal,
    rateLimited: outcome.rateLimited,
    retries: outcome.retries,
  };
  if (outcome.status === "succeeded") return { status: "succeeded", summary };
  return {
    status: "failed",
    summary,
    error:
      outcome.status === "incomplete"
        ? `crawl run ${outcome.runId} incomplete: ${outcome.usersFailed} user(s) could not be read`
        : (outcome.error ?? `crawl run ${outcome.runId} failed`),
  };
}

/** The weekly report and its email, for one org: the same two steps as `reclaim run`. */
async function reportJob(runtime: Runtime, ctx: JobContext): Promise<JobResult> {
  const orgId = await orgIdOf(ctx.org, ctx.signal);
  ctx.signal.throwIfAborted();
  const [report] = await buildReports(runtime, { orgId });
  if (!report) return { status: "failed", summary: { orgId }, error: "no report was built" };
  const summary: Record<string, unknown> = {
    orgId,
    reportId: report.reportId,
    crawlRunId: report.summary.crawlRunId,
    dataAsOf: report.summary.dataAsOf,
    users: report.summary.totals.users,
    billableSeats: report.summary.totals.billableSeats,
    dormantSeats: report.summary.totals.dormantSeats,
    dormantUsers: report.summary.totals.dormantUsers,
  };
  ctx.signal.throwIfAborted();
  if (audiencesOf(runtime.config.email).length === 0) {
    summary.emailSkipped = "no recipients configured (REPORT_TO or email.to in the config file)";
    return { status: "succeeded", summary };
  }
  const deliveries = await sendWeeklyEmail(emailDeps(runtime), { orgId, signal: ctx.signal });
  const byStatus: Record<string, number> = {};
  for (const d of deliveries) byStatus[d.status] = (byStatus[d.status] ?? 0) + 1;
  summary.deliveries = byStatus;
  const failed = deliveries.filter((d) => d.status === "failed");
  if (failed.length > 0) {
    return {
      status: "failed",
      summary,
      error: `email to ${failed.map((d) => d.recipient).join(", ")} failed: ${failed[0]?.error ?? "unknown error"}`,
    };
  }
  return { status: "succeeded", summary };
}

async function orgIdOf(org: OrgClient, signal: AbortSignal): Promise<string> {
  try {
    return await org.orgId(signal);
  } catch (error) {
    throw new Error(
      `cannot tell which org ${org.ref} is: ${org.client.redact(errorMessage(error))}`,
    );
  }
}
