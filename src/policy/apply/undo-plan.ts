/**
 * `reclaim policy undo PLAN` (or one action): restores exactly what the plan changed — only
 * the writes the journal says this plan made (not those the API found already done) — in
 * reverse order: re-add group memberships, re-assign direct roles, restore suspended users,
 * enable deactivated accounts. Audited like any write, under the same org claim as apply. A
 * licence-limit answer (no free seat to give back) is reported on the action, not hidden; a
 * later undo retries it. Undoing an undone action does nothing.
 */
import {
  getAction,
  moveUndo,
  startActionWithSteps,
  stepsOf,
} from "../../db/repositories/policy-apply.repository.ts";
import {
  getPlan,
  planActions,
  setPlanStatus,
} from "../../db/repositories/policy-plans.repository.ts";
import type { PolicyActionRow } from "../../db/tables/policy.ts";
import { PolicyRefusal } from "../errors.ts";
import type { ActionOutcome, ApplyDeps } from "./apply-plan.ts";
import { withOrgClaim } from "./claim.ts";
import { engineContext, runSteps, type EngineContext, type Settle } from "./journal.ts";
import { inverseOf } from "./step-state.ts";

export interface UndoOptions {
  /** Undo the whole plan… */
  planId?: number;
  /** …or one action. */
  actionId?: number;
  actor: string;
  leaseMs?: number;
  settle?: Settle;
  signal?: AbortSignal;
}

export interface UndoResult {
  planId: number;
  orgId: string;
  outcomes: ActionOutcome[];
  writes: number;
  /** The plan is fully undone. */
  undone: boolean;
}

/**
 * @throws PolicyRefusal for an unknown plan or action, or while another apply or undo of the
 *   org runs
 */
export async function undoPlan(deps: ApplyDeps, options: UndoOptions): Promise<UndoResult> {
  const { db, clock } = deps;
  let planId = options.planId;
  if (options.actionId !== undefined) {
    const a = await getAction(db, options.actionId);
    if (a === undefined) throw new PolicyRefusal(`there is no action ${options.actionId}`);
    if (planId !== undefined && Number(a.plan_id) !== planId)
      throw new PolicyRefusal(
        `action ${options.actionId} belongs to plan ${Number(a.plan_id)}, not ${planId}`,
      );
    planId = Number(a.plan_id);
  }
  if (planId === undefined) throw new PolicyRefusal("name a plan, or an action with --action");
  const plan = await getPlan(db, planId);
  if (plan === undefined) throw new PolicyRefusal(`there is no plan ${planId}`);
  if (plan.org_id !== deps.api.orgId)
    throw new PolicyRefusal(`plan ${planId} is for org ${plan.org_id}, not ${deps.api.orgId}`);

  return withOrgClaim(
    db,
    clock,
    { orgId: plan.org_id, planId, leaseMs: options.leaseMs },
    async (renew) => {
      // a licence-limit refusal of an earlier undo is tried again
      const ctx = engineContext(deps, options, true);
      const all = await planActions(db, planId);
      const chosen =
        options.actionId === undefined
          ? all
          : all.filter((a) => Number(a.action_id) === options.actionId);
      const outcomes: ActionOutcome[] = [];
      let writes = 0;
      for (const a of chosen) {
        options.signal?.throwIfAborted();
        if (a.undo_state === "undone") continue;
        await renew();
        const r = await undoAction(ctx, a);
        if (r === null) continue;
        writes += r.writes;
        outcomes.push(r.outcome);
      }
      const after = await planActions(db, planId);
      const undone =
        after.every((a) => a.undo_state === "undone" || a.undo_state === null) &&
        after.some((a) => a.undo_state === "undone");
      const nothingLeft = after.every(
        (a) => a.undo_state !== "failed" && a.undo_state !== "in-progress",
      );
      if (undone && nothingLeft && options.actionId === undefined)
        await setPlanStatus(db, planId, "undone", clock.now());
      deps.log.info("policy undo finished", {
        planId,
        orgId: plan.org_id,
        writes,
        undone: outcomes.length,
      });
      return { planId, orgId: plan.org_id, outcomes, writes, undone: undone && nothingLeft };
    },
  );
}

/** Undoes one action; null when the plan changed nothing for it. */
async function undoAction(
  ctx: EngineContext,
  a: PolicyActionRow,
): Promise<{ writes: number; outcome: ActionOutcome } | null> {
  const { db, clock } = ctx;
  const actionId = Number(a.action_id);
  const outcome = (state: string, text: string | null) => ({
    actionId,
    accountId: a.account_id,
    kind: a.kind,
    productKey: a.product_key,
    state,
    outcome: text,
  });
  if (a.undo_state === null) {
    const made = (await stepsOf(db, actionId, "apply")).filter((s) => s.state === "done").reverse();
    if (made.length === 0) return null;
    const started = await startActionWithSteps(
      db,
      { actionId, planId: Number(a.plan_id), orgId: a.org_id },
      "undo",
      made.map((s) => ({ key: `undo:${s.step_key}`, op: inverseOf(s.op), target: s.target })),
      (trx) => moveUndo(trx, actionId, [null], { state: "in-progress", at: clock.now() }),
    );
    if (!started) return { writes: 0, outcome: outcome("in-progress", "taken by another undo") };
  } else if (a.undo_state === "failed") {
    await moveUndo(db, actionId, ["failed"], { state: "in-progress", at: clock.now() });
  }
  const r = await runSteps(ctx, a, "undo");
  if (!r.ok) {
    await moveUndo(db, actionId, ["in-progress"], {
      state: "failed",
      at: clock.now(),
      outcome: r.error,
    });
    return { writes: r.writes, outcome: outcome("undo failed", r.error) };
  }
  await moveUndo(db, actionId, ["in-progress"], {
    state: "undone",
    at: clock.now(),
    outcome: null,
  });
  return { writes: r.writes, outcome: outcome("undone", null) };
}
