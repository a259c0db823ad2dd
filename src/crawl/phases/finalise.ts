/**
 * Phase 4: decide the run's status and close it, in one transaction.
 * - succeeded only when every user was read; then users the run did not see are marked
 *   removed, and groups it did not see are dropped;
 * - incomplete when some per-user reads failed: their previous data is kept, and they get no
 *   "never active" rows — a failed read is never evidence of inactivity;
 * - history: when it succeeded, versions of what changed (reports read only those, so an
 *   incomplete run never changes a report);
 * - then the planner's statistics are refreshed for the report that usually follows.
 */
import {
  countRejectedRecords,
  countUserChecks,
  finishRun,
  sampleDisagreements,
  updateRun,
} from "../../db/repositories/crawl-runs.repository.ts";
import { recordVersions } from "../../db/repositories/history.repository.ts";
import {
  addNeverUsedGrants,
  countUsersSeenInRun,
  deleteDirectRolesNotRead,
  deleteGroupsNotSeen,
  markUsersNotSeenRemoved,
  refreshPlannerStatistics,
} from "../../db/repositories/org-data.repository.ts";
import type { CrawlContext } from "../context.ts";

export interface FinaliseResult {
  status: "succeeded" | "incomplete";
  users: number;
  usersFailed: number;
  removed: number;
  sampled: number;
  disagreements: { account_id: string; detail: Record<string, unknown> }[];
}

export async function finaliseRun(
  ctx: CrawlContext,
  summary: Record<string, unknown>,
): Promise<FinaliseResult> {
  const at = ctx.clock.now();
  ctx.onProgress({ orgId: ctx.orgId, phase: "finalise", done: 0, total: undefined });
  const checks = await countUserChecks(ctx.db, ctx.runId);
  const users = await countUsersSeenInRun(ctx.db, ctx.orgId, ctx.runId);
  const rejected = await countRejectedRecords(ctx.db, ctx.runId);
  const usersFailed =
    checks.fillFailed +
    checks.fillPending +
    checks.rolesFailed +
    checks.rolesPending +
    checks.groupsFailed +
    checks.groupsPending;
  // Every user read, and every record the API sent usable: only then is the run complete.
  const status = usersFailed === 0 && rejected === 0 ? "succeeded" : "incomplete";
  const disagreements = await sampleDisagreements(ctx.db, ctx.runId);
  let removed = 0;
  await ctx.db.transaction().execute(async (trx) => {
    await addNeverUsedGrants(trx, ctx.orgId, ctx.runId, at);
    if (status === "succeeded") {
      removed = await markUsersNotSeenRemoved(trx, ctx.orgId, ctx.runId, at);
      await deleteGroupsNotSeen(trx, ctx.orgId, ctx.runId);
      await deleteDirectRolesNotRead(trx, ctx.orgId, ctx.runId);
      await recordVersions(trx, ctx.orgId, ctx.runId);
    }
    const result = {
      status,
      users,
      usersFailed,
      rejectedRecords: rejected,
      expectedUsers: ctx.checkpoint.usersTotal ?? null,
      removed,
      sampled: checks.sampleDone + checks.sampleFailed,
      disagreements: disagreements.length,
    };
    await updateRun(trx, ctx.runId, {
      usersTotal: users,
      usersDone: users - usersFailed,
      usersFailed,
      summary: { ...summary, ...result, disagreementExamples: disagreements.slice(0, 20) },
    });
    await finishRun(trx, ctx.runId, {
      status,
      at,
      error:
        status === "succeeded"
          ? null
          : [
              usersFailed > 0 ? `${usersFailed} user(s) could not be read` : null,
              rejected > 0 ? `${rejected} record(s) the API sent could not be used` : null,
            ]
              .filter(Boolean)
              .join(", ") + "; see crawl_errors",
    });
  });
  await refreshPlannerStatistics(ctx.db);
  return {
    status,
    users,
    usersFailed,
    removed,
    sampled: checks.sampleDone + checks.sampleFailed,
    disagreements,
  };
}
