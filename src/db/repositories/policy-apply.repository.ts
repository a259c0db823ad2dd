/**
 * What apply and undo write: the org's claim (one applier at a time, across processes and
 * machines, on both backends), each action's state, the journal of writes (a step is claimed
 * before it is sent: its unique key is what makes a write happen once) and the append-only
 * audit log, written before and after every write in the same transaction as the step.
 */
import type { Kysely, Transaction } from "kysely";
import { json } from "../json.ts";
import type { Database } from "../schema.ts";
import type {
  ActionState,
  PolicyActionRow,
  PolicyAuditRow,
  PolicyStepRow,
  StepOp,
  StepPhase,
  StepState,
  UndoState,
} from "../tables/policy.ts";

type Db = Kysely<Database>;
type Trx = Transaction<Database>;

// ---- the org claim ----------------------------------------------------------------------

export interface ClaimHolder {
  planId: number;
  token: string;
  pid: number;
  host: string;
  claimedAt: Date;
  expiresAt: Date;
}

export type ClaimResult = { claimed: true } | { claimed: false; holder: ClaimHolder };

/**
 * Claims the org for one apply (or undo). Taken over only when the holder's lease has expired
 * or `holderIsDead` says its process is gone.
 */
export async function claimOrg(
  db: Db,
  claim: { orgId: string; planId: number; token: string; pid: number; host: string },
  at: Date,
  leaseMs: number,
  holderIsDead: (h: ClaimHolder) => boolean,
): Promise<ClaimResult> {
  const expires = new Date(at.getTime() + leaseMs);
  const row = {
    org_id: claim.orgId,
    plan_id: claim.planId,
    token: claim.token,
    pid: claim.pid,
    host: claim.host,
    claimed_at: at,
    expires_at: expires,
  };
  const inserted = await db
    .insertInto("policy_claims")
    .values(row)
    .onConflict((oc) => oc.column("org_id").doNothing())
    .returning("token")
    .executeTakeFirst();
  if (inserted) return { claimed: true };
  const existing = await db
    .selectFrom("policy_claims")
    .selectAll()
    .where("org_id", "=", claim.orgId)
    .executeTakeFirst();
  if (existing === undefined) return claimOrg(db, claim, at, leaseMs, holderIsDead);
  const holder: ClaimHolder = {
    planId: Number(existing.plan_id),
    token: existing.token,
    pid: existing.pid,
    host: existing.host,
    claimedAt: new Date(existing.claimed_at),
    expiresAt: new Date(existing.expires_at),
  };
  if (holder.expiresAt.getTime() > at.getTime() && !holderIsDead(holder))
    return { claimed: false, holder };
  // Compare-and-swap on the old token: of two processes taking over, one wins.
  const taken = await db
    .updateTable("policy_claims")
    .set(row)
    .where("org_id", "=", claim.orgId)
    .where("token", "=", holder.token)
    .returning("token")
    .executeTakeFirst();
  return taken ? { claimed: true } : { claimed: false, holder };
}

/** Extends the lease; false when the claim was lost (taken over after expiring). */
export async function renewClaim(
  db: Db,
  orgId: string,
  token: string,
  at: Date,
  leaseMs: number,
): Promise<boolean> {
  const r = await db
    .updateTable("policy_claims")
    .set({ expires_at: new Date(at.getTime() + leaseMs) })
    .where("org_id", "=", orgId)
    .where("token", "=", token)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function releaseClaim(db: Db, orgId: string, token: string): Promise<void> {
  await db
    .deleteFrom("policy_claims")
    .where("org_id", "=", orgId)
    .where("token", "=", token)
    .execute();
}

// ---- actions ----------------------------------------------------------------------------

export async function getAction(db: Db, actionId: number): Promise<PolicyActionRow | undefined> {
  return db
    .selectFrom("policy_actions")
    .selectAll()
    .where("action_id", "=", actionId)
    .executeTakeFirst();
}

/** Moves an action from one state to another; false when it was not in `from` (someone else moved it). */
export async function moveAction(
  db: Db | Trx,
  actionId: number,
  from: readonly ActionState[],
  to: {
    state: ActionState;
    at: Date;
    outcome?: string | null;
    stillHeld?: boolean;
    appliedAt?: Date | null;
  },
): Promise<boolean> {
  const r = await db
    .updateTable("policy_actions")
    .set({
      state: to.state,
      updated_at: to.at,
      ...(to.outcome !== undefined ? { outcome: to.outcome } : {}),
      ...(to.stillHeld !== undefined ? { still_held: to.stillHeld } : {}),
      ...(to.appliedAt !== undefined ? { applied_at: to.appliedAt } : {}),
    })
    .where("action_id", "=", actionId)
    .where("state", "in", [...from])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Moves an action's undo state; false when it was not in `from` (null = never undone). */
export async function moveUndo(
  db: Db | Trx,
  actionId: number,
  from: readonly (UndoState | null)[],
  to: { state: UndoState; at: Date; outcome?: string | null },
): Promise<boolean> {
  const states = from.filter((s): s is UndoState => s !== null);
  const r = await db
    .updateTable("policy_actions")
    .set({
      undo_state: to.state,
      updated_at: to.at,
      ...(to.outcome !== undefined ? { undo_outcome: to.outcome } : {}),
      ...(to.state === "undone" ? { undone_at: to.at } : {}),
    })
    .where("action_id", "=", actionId)
    .where((eb) =>
      eb.or([
        ...(states.length > 0 ? [eb("undo_state", "in", states)] : []),
        ...(from.includes(null) ? [eb("undo_state", "is", null)] : []),
      ]),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

// ---- steps and audit --------------------------------------------------------------------

export interface NewStep {
  key: string;
  op: StepOp;
  target: unknown;
}

/**
 * Records the writes an action will make, in order, and moves the action to `in-progress`
 * in the same transaction (so a crash leaves either no decision or a whole one). Returns
 * false when the action was no longer `planned`.
 */
export async function startActionWithSteps(
  db: Db,
  action: { actionId: number; planId: number; orgId: string },
  phase: StepPhase,
  steps: readonly NewStep[],
  start: (trx: Trx) => Promise<boolean>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await start(trx))) return false;
    if (steps.length > 0) {
      await trx
        .insertInto("policy_steps")
        .values(
          steps.map((s, i) => ({
            action_id: action.actionId,
            plan_id: action.planId,
            org_id: action.orgId,
            phase,
            seq: i + 1,
            step_key: s.key,
            op: s.op,
            target: json(s.target),
          })),
        )
        .onConflict((oc) => oc.columns(["action_id", "phase", "step_key"]).doNothing())
        .execute();
    }
    return true;
  });
}

export async function stepsOf(
  db: Db,
  actionId: number,
  phase: StepPhase,
): Promise<PolicyStepRow[]> {
  return db
    .selectFrom("policy_steps")
    .selectAll()
    .where("action_id", "=", actionId)
    .where("phase", "=", phase)
    .orderBy("seq")
    .execute();
}

export interface AuditEntry {
  at: Date;
  orgId: string;
  planId: number;
  actionId: number;
  stepId: number;
  phase: StepPhase;
  actor: string;
  rule: string;
  accountId: string;
  op: StepOp;
  request: { method: string; path: string; body?: unknown };
  responseStatus?: number | null;
  responseBody?: unknown;
  state?: unknown;
  outcome?: string | null;
  error?: string | null;
}

function auditRow(moment: "before" | "after", e: AuditEntry) {
  return {
    at: e.at,
    org_id: e.orgId,
    plan_id: e.planId,
    action_id: e.actionId,
    step_id: e.stepId,
    phase: e.phase,
    moment,
    actor: e.actor,
    rule: e.rule,
    account_id: e.accountId,
    op: e.op,
    request: json(e.request),
    response_status: e.responseStatus ?? null,
    response_body:
      e.responseBody === undefined || e.responseBody === null ? null : json(e.responseBody),
    state: e.state === undefined ? null : json(e.state),
    outcome: e.outcome ?? null,
    error: e.error ?? null,
  };
}

/**
 * Claims a step for sending: pending (or, on resume, started) → started, attempts + 1, and the
 * "before" audit row, in one transaction. False when another applier holds it.
 */
export async function beginStep(
  db: Db,
  stepId: number,
  from: StepState,
  before: AuditEntry,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable("policy_steps")
      .set((eb) => ({ state: "started", attempts: eb("attempts", "+", 1), started_at: before.at }))
      .where("step_id", "=", stepId)
      .where("state", "=", from)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return false;
    await trx.insertInto("policy_audit").values(auditRow("before", before)).execute();
    return true;
  });
}

/** Ends a started step with its outcome and the "after" audit row, in one transaction. */
export async function finishStep(
  db: Db,
  stepId: number,
  state: Extract<StepState, "done" | "already" | "failed">,
  after: AuditEntry,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("policy_steps")
      .set({ state, finished_at: after.at, error: after.error ?? null })
      .where("step_id", "=", stepId)
      .execute();
    await trx.insertInto("policy_audit").values(auditRow("after", after)).execute();
  });
}

/** Audit rows, oldest first, of one plan or of every plan. */
export async function auditRows(db: Db, planId?: number): Promise<PolicyAuditRow[]> {
  let q = db.selectFrom("policy_audit").selectAll().orderBy("audit_id");
  if (planId !== undefined) q = q.where("plan_id", "=", planId);
  return q.execute();
}
