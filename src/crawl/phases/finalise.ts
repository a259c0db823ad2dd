/**
 * Phase 4: decide the run's status and close it, in one transaction.
 * - succeeded only when every user was read; then users the run did not see are marked
 *   removed, and groups it did not see are dropped;
 * - incomplete when some per-user reads failed: their previous data is kept, and they get no
 *   "never active" rows — a failed read is never evidence of inactivity;
 * - history: when it succeeded, versions of what changed (reports read only those, so an
 *   incomplete run never changes a report);
 * - the planner's statistics of what these statements read are refreshed first, so each gets
 *   a plan for this run's data (see refreshStatisticsForFinalise), and again afterwards for
 *   the report that usually follows.
 */
import type { Kysely } from "kysely";
import {
  countRejectedRecords,
  countUserChecks,
  finishRun,
  sampleDisagreements,
  updateRun,
} from "../../db/repositories/crawl-runs.repository.ts";
import { versionStatements } from "../../db/repositories/history.repository.ts";
import {
  countUsersSeenInRun,
  directRolesNotReadStatements,
  groupsNotSeenStatements,
  neverUsedGrantsStatements,
  refreshPlannerStatistics,
  refreshStatisticsForFinalise,
  usersNotSeenStatements,
} from "../../db/repositories/org-data.repository.ts";
import type { Database } from "../../db/schema.ts";
import { runStatements, WHOLE_ORG_SETTINGS, type Statement } from "../../db/statement.ts";
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
  let changedRows = 0;
  await refreshStatisticsForFinalise(ctx.db);
  await ctx.db.transaction().execute(async (trx) => {
    const statements = finaliseStatements(trx, ctx.orgId, ctx.runId, at, status);
    await runStatements(trx, statements.settings);
    const affected = await runStatements(trx, statements.all);
    changedRows = affected.reduce((sum, n) => sum + n, 0);
    removed = statements.removedAt === undefined ? 0 : (affected[statements.removedAt] ?? 0);
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
  // The statistics taken just before describe what the walk and the reads stored; finalise's
  // own changes (never-used seats, history versions: every row on a first crawl, a few on a
  // re-crawl) call for fresh ones once they are a real share of the org, as autovacuum
  // judges it (50 rows + 10%).
  if (changedRows > 50 + users / 10) await refreshPlannerStatistics(ctx.db);
  return {
    status,
    users,
    usersFailed,
    removed,
    sampled: checks.sampleDone + checks.sampleFailed,
    disagreements,
  };
}

/**
 * The statements that close a run's data, in the order finalise runs them: in one
 * transaction, after refreshStatisticsForFinalise, with `settings` first. `removedAt` is the
 * index of the one whose affected rows are the users newly marked removed (only a succeeded
 * run removes users).
 */
export function finaliseStatements(
  db: Kysely<Database>,
  orgId: string,
  runId: number,
  at: Date,
  status: "succeeded" | "incomplete",
): { settings: readonly Statement[]; all: Statement[]; removedAt: number | undefined } {
  const settings = WHOLE_ORG_SETTINGS;
  const all = neverUsedGrantsStatements(db, orgId, runId, at);
  if (status !== "succeeded") return { settings, all, removedAt: undefined };
  const removedAt = all.length;
  all.push(
    ...usersNotSeenStatements(db, orgId, runId, at),
    ...groupsNotSeenStatements(db, orgId, runId),
    ...directRolesNotReadStatements(db, orgId, runId),
    ...versionStatements(db, orgId, runId),
  );
  return { settings, all, removedAt };
}
