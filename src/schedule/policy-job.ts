/**
 * The scheduled policy job, for one org. The policy step (plan, then apply only when
 * `policy.auto` is set) does not exist yet: until it does, this records the slot as
 * `skipped` with the reason, so the ledger, the logs and /healthz show the job is wired.
 *
 * For the policy step: replace the body with a call to the policy use-case, passing narrow
 * deps built from `runtime` (runtime.database.db, runtime.clock, runtime.log,
 * runtime.config) and `ctx.org.client` — the process's one Admin API client for this org, so
 * policy writes share the crawl's rate limiter — and `ctx.signal` (abort at the next safe
 * point). Return `{ status, summary }`; `summary` is stored in the ledger (counts, plan and
 * action ids, never a secret). A thrown error fails this org's row only.
 */
import type { Runtime } from "../app/runtime.ts";
import type { JobContext, JobResult } from "./scheduler.ts";

export function runPolicyJob(_runtime: Runtime, ctx: JobContext): Promise<JobResult> {
  const reason = "the policy step is not built yet: nothing planned or applied";
  ctx.log.info(`policy job for ${ctx.org.ref}: ${reason}`, {
    job: ctx.job,
    org: ctx.org.ref,
    slot: ctx.slot.toISOString(),
  });
  return Promise.resolve({ status: "skipped", summary: { reason } });
}
