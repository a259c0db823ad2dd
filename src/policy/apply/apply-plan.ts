/**
 * `reclaim policy apply PLAN`: the writes of an approved plan, once its warning period is over
 * and on fresh data only. The org is claimed for the run (one apply or undo at a time); users
 * whom a later crawl saw active are dropped; each remaining user is re-read live right before
 * acting and skipped when active since the crawl or when their access changed. Every write is
 * journalled and audited before and after; one failed action does not stop the others until
 * `policy.stopAfterFailures`. A re-run does nothing new, and a run killed midway resumes
 * without repeating a write.
 */
import type { Kysely } from "kysely";
import type { PolicyConfig } from "../../config/sections/policy.ts";
import { moveAction, startActionWithSteps } from "../../db/repositories/policy-apply.repository.ts";
import {
  actionStateCounts,
  getPlan,
  planActions,
  setPlanStatus,
} from "../../db/repositories/policy-plans.repository.ts";
import type { Database } from "../../db/schema.ts";
import type { PlanStatus, PolicyActionRow } from "../../db/tables/policy.ts";
import { NotFoundError } from "../../atlassian/index.ts";
import type { Clock } from "../../shared/clock.ts";
import { errorMessage } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import { PolicyRefusal } from "../errors.ts";
import { freshSucceededRun } from "../freshness.ts";
import { parse } from "../model.ts";
import { withOrgClaim } from "./claim.ts";
import {
  decide,
  sameResource,
  stillHeld,
  type Decision,
  type PlannedActionView,
} from "./decide.ts";
import { dropActiveInLaterCrawl } from "./later-activity.ts";
import {
  engineContext,
  runSteps,
  settled,
  type EngineContext,
  type Settle,
  type Sleep,
} from "./journal.ts";
import type { PolicyApi } from "./policy-api.ts";
import type { ObservedState } from "./step-state.ts";

export interface ApplyDeps {
  db: Kysely<Database>;
  /** Over the org's one client: shares its rate limiter with any crawl in this process. */
  api: PolicyApi;
  clock: Clock;
  log: Logger;
  sleep?: Sleep;
}

export interface ApplyOptions {
  planId: number;
  /** Who applies: the OS user or --by; "auto" for the scheduled auto mode. */
  actor: string;
  policy: Pick<PolicyConfig, "maxDataAgeHours" | "stopAfterFailures">;
  /** Actions worked on at once (the rate limiter paces the calls). Default 4. */
  concurrency?: number;
  /** The org claim's lease, renewed as the run goes. Default 2 minutes. */
  leaseMs?: number;
  settle?: Settle;
  /** Try actions that failed in an earlier run again. */
  retryFailed?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: { planId: number; done: number; total: number }) => void;
}

export interface ActionOutcome {
  actionId: number;
  accountId: string;
  kind: string;
  productKey: string;
  state: string;
  outcome: string | null;
}

export interface ApplyResult {
  planId: number;
  orgId: string;
  status: PlanStatus;
  /** What this run did to each action it worked on. */
  outcomes: ActionOutcome[];
  /** Writes sent by this run. */
  writes: number;
  /** Counts over the whole plan, by action state. */
  counts: Partial<Record<string, number>>;
  /** Set when the run stopped because too many actions failed. */
  stopped?: string;
}

function view(a: PolicyActionRow): PlannedActionView {
  return {
    accountId: a.account_id,
    kind: a.kind,
    productKey: a.product_key,
    resourceId: a.resource_id,
    detail: parse.detail(a.detail),
  };
}

/** Before-states the decision already read, so the write's audit needs no second read. */
function knownStates(d: Extract<Decision, { act: true }>): Map<string, ObservedState> {
  const out = new Map<string, ObservedState>();
  for (const s of d.steps) {
    if (s.op === "remove-membership") out.set(s.key, { reached: false, state: { member: true } });
    if (s.op === "suspend")
      out.set(s.key, {
        reached: false,
        state: { membershipStatus: "active", accountStatus: null },
      });
  }
  return out;
}

/**
 * Applies an approved plan.
 * @throws PolicyRefusal (exit 1): unknown or unapproved plan, warning period not over, stale
 *   or incomplete data, or another apply of the org running
 */
export async function applyPlan(deps: ApplyDeps, options: ApplyOptions): Promise<ApplyResult> {
  const { db, clock } = deps;
  const plan = await getPlan(db, options.planId);
  if (plan === undefined)
    throw new PolicyRefusal(`there is no plan ${options.planId}: see \`reclaim policy plan\``);
  const planId = Number(plan.plan_id);
  if (plan.status === "pending")
    throw new PolicyRefusal(
      `plan ${planId} is not approved: run \`reclaim policy approve ${planId}\` first`,
    );
  if (plan.status === "undone")
    throw new PolicyRefusal(`plan ${planId} was undone; make a new plan`);
  const now = clock.now();
  if (plan.warn_until !== null && now.getTime() < new Date(plan.warn_until).getTime())
    throw new PolicyRefusal(
      `plan ${planId} cannot be applied before ${new Date(plan.warn_until).toISOString()}: the users' warning period (policy.warnDays) is not over`,
    );
  if (plan.org_id !== deps.api.orgId)
    throw new PolicyRefusal(`plan ${planId} is for org ${plan.org_id}, not ${deps.api.orgId}`);
  const fresh = await freshSucceededRun(db, plan.org_id, now, options.policy.maxDataAgeHours);

  return withOrgClaim(
    db,
    clock,
    { orgId: plan.org_id, planId, leaseMs: options.leaseMs },
    async (renew) => {
      const ctx = engineContext(deps, options, options.retryFailed ?? false);
      if (fresh.runId > Number(plan.crawl_run_id))
        await dropActiveInLaterCrawl(db, plan, fresh, clock.now());
      const actions = await planActions(db, planId);
      const todo = actions.filter(
        (a) =>
          a.state === "planned" ||
          a.state === "in-progress" ||
          (ctx.retryFailed && a.state === "failed"),
      );
      const outcomes: ActionOutcome[] = [];
      let writes = 0;
      let failures = 0;
      let stopped: string | undefined;
      let next = 0;
      const worker = async () => {
        while (next < todo.length && stopped === undefined) {
          options.signal?.throwIfAborted();
          const a = todo[next++]!;
          await renew();
          const r = await applyAction(ctx, a);
          writes += r.writes;
          outcomes.push(r.outcome);
          if (r.outcome.state === "failed") {
            failures++;
            if (failures >= options.policy.stopAfterFailures && stopped === undefined)
              stopped = `stopped after ${failures} failed actions (policy.stopAfterFailures = ${options.policy.stopAfterFailures}); the rest are left planned: fix the cause and run apply again`;
          }
          options.onProgress?.({ planId, done: outcomes.length, total: todo.length });
        }
      };
      await Promise.all(
        Array.from(
          { length: Math.max(1, Math.min(options.concurrency ?? 4, todo.length)) },
          worker,
        ),
      );
      const counts = await actionStateCounts(db, planId);
      const open = (counts.planned ?? 0) + (counts["in-progress"] ?? 0);
      const status: PlanStatus =
        stopped !== undefined
          ? "stopped"
          : open > 0 || (counts.failed ?? 0) > 0
            ? "partial"
            : "applied";
      await setPlanStatus(db, planId, status, clock.now());
      deps.log.info("policy apply finished", {
        planId,
        orgId: plan.org_id,
        status,
        writes,
        ...counts,
      });
      return {
        planId,
        orgId: plan.org_id,
        status,
        outcomes,
        writes,
        counts,
        ...(stopped !== undefined ? { stopped } : {}),
      };
    },
  );
}

async function applyAction(
  ctx: EngineContext,
  a: PolicyActionRow,
): Promise<{ writes: number; outcome: ActionOutcome }> {
  const { db, api, clock } = ctx;
  const actionId = Number(a.action_id);
  const v = view(a);
  const result = (state: string, outcome: string | null, writes = 0) => ({
    writes,
    outcome: {
      actionId,
      accountId: a.account_id,
      kind: a.kind,
      productKey: a.product_key,
      state,
      outcome,
    },
  });
  let known = new Map<string, ObservedState>();
  if (a.state === "planned") {
    let decision: Decision;
    try {
      const activity = await api.lastActive(a.account_id, ctx.signal);
      const roles = await api.roleAssignments(a.account_id, ctx.signal);
      const viaGroup =
        a.kind === "remove-product-access" &&
        roles.some(
          (r) =>
            sameResource(r.resourceId, a.resource_id ?? "") &&
            r.roles.some((x) => x.methods.includes("group_direct")),
        );
      const groups = viaGroup
        ? await api.groupsOf(a.account_id, a.resource_id ?? undefined, ctx.signal)
        : undefined;
      decision = decide(v, { activity, roles, ...(groups ? { groups } : {}) });
    } catch (e) {
      if (ctx.signal?.aborted) throw e;
      if (e instanceof NotFoundError) {
        await moveAction(db, actionId, ["planned"], {
          state: "skipped",
          at: clock.now(),
          outcome: "the user is no longer in the org",
        });
        return result("skipped", "the user is no longer in the org");
      }
      // A failed read is never a reason to act: the action fails and nothing is written.
      const why = `live read failed, nothing written: ${errorMessage(e)}`;
      await moveAction(db, actionId, ["planned"], {
        state: "failed",
        at: clock.now(),
        outcome: why,
      });
      return result("failed", why);
    }
    if (!decision.act) {
      await moveAction(db, actionId, ["planned"], {
        state: "skipped",
        at: clock.now(),
        outcome: decision.reason,
      });
      return result("skipped", decision.reason);
    }
    const started = await startActionWithSteps(
      db,
      { actionId, planId: Number(a.plan_id), orgId: a.org_id },
      "apply",
      decision.steps,
      (trx) => moveAction(trx, actionId, ["planned"], { state: "in-progress", at: clock.now() }),
    );
    if (!started) return result("in-progress", "taken by another applier");
    known = knownStates(decision);
  } else if (a.state === "failed") {
    await moveAction(db, actionId, ["failed"], { state: "in-progress", at: clock.now() });
  }
  const steps = await runSteps(ctx, a, "apply", known);
  if (!steps.ok) {
    await moveAction(db, actionId, ["in-progress"], {
      state: "failed",
      at: clock.now(),
      outcome: steps.error,
    });
    return result("failed", steps.error, steps.writes);
  }
  // Another group (or an inferred grant) may still hold the seat: say so, after the reads settle.
  const check = await settled(ctx, async () => {
    const held = stillHeld(v, await api.roleAssignments(a.account_id, ctx.signal));
    return { reached: held === null, state: { held } };
  });
  const held = typeof check.state.held === "string" ? check.state.held : null;
  const note =
    check.state.readError !== undefined
      ? `done; the final read failed: ${JSON.stringify(check.state.readError)}`
      : held;
  await moveAction(db, actionId, ["in-progress"], {
    state: "done",
    at: clock.now(),
    outcome: note,
    stillHeld: held !== null,
    appliedAt: clock.now(),
  });
  return result("done", note, steps.writes);
}
