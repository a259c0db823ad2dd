/**
 * The scheduled policy job, for one org: the policy step (src/policy/auto.ts) with the
 * process's one client for the org, so policy reads and writes share the crawl's rate limiter.
 * With `policy.auto` off it only plans (the weekly email names the plan); with it on it
 * approves as "auto", waits out the warning period and applies within the caps. A refusal
 * (stale or incomplete data, an apply already running) is a skipped slot with the reason.
 */
import path from "node:path";
import type { Runtime } from "../app/runtime.ts";
import { createMailTransport } from "../email/transport.ts";
import { runPolicyJob as runPolicyStep } from "../policy/auto.ts";
import type { JobContext, JobResult } from "./scheduler.ts";

export async function runPolicyJob(runtime: Runtime, ctx: JobContext): Promise<JobResult> {
  const { config } = runtime;
  const orgId = await ctx.org.orgId(ctx.signal);
  const transport = createMailTransport({
    smtpUrl: config.smtpUrl,
    smtp: config.email.smtp,
    outboxDir: path.join(config.reportsDir, "outbox"),
  });
  try {
    const r = await runPolicyStep(
      {
        db: runtime.database.db,
        client: ctx.org.client,
        clock: runtime.clock,
        log: ctx.log,
        transport,
        signal: ctx.signal,
      },
      {
        policy: config.policy,
        report: config.report,
        outDir: config.reportsDir,
        from: config.email.from,
      },
      orgId,
    );
    switch (r.kind) {
      case "no-rules":
        return { status: "skipped", summary: { orgId, reason: "policy.rules is empty" } };
      case "refused":
        return { status: "skipped", summary: { orgId, reason: r.reason } };
      case "planned":
        return {
          status: "succeeded",
          summary: { orgId, planned: r.plan.planId, actions: r.plan.actions.length, auto: false },
        };
      case "approved":
        return {
          status: "succeeded",
          summary: {
            orgId,
            approved: r.plan.planId,
            actions: r.plan.actions.length,
            applyAfter: r.approval.warnUntil?.toISOString() ?? null,
          },
        };
      case "waiting":
        return {
          status: "succeeded",
          summary: { orgId, waiting: r.planId, until: r.until.toISOString() },
        };
      case "applied": {
        const failed = r.result.outcomes.filter((o) => o.state === "failed").length;
        const summary = {
          orgId,
          applied: r.planId,
          status: r.result.status,
          writes: r.result.writes,
          ...r.result.counts,
        };
        return failed > 0 || r.result.stopped !== undefined
          ? { status: "failed", summary, error: r.result.stopped ?? `${failed} actions failed` }
          : { status: "succeeded", summary };
      }
    }
  } finally {
    transport.close();
  }
}
