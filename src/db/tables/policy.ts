/** Table types owned by the policy step (see migrations/2026-12-01T20-policy.ts). */
import type { ColumnType, Generated, Selectable } from "kysely";
import type { Json, JsonWithDefault, Timestamp } from "../schema.ts";

export type PlanStatus = "pending" | "approved" | "applied" | "partial" | "stopped" | "undone";
export type ActionState = "planned" | "dropped" | "in-progress" | "done" | "skipped" | "failed";
export type UndoState = "in-progress" | "undone" | "failed";
export type StepPhase = "apply" | "undo";
export type StepState = "pending" | "started" | "done" | "already" | "failed";
export type StepOp =
  | "remove-membership"
  | "add-membership"
  | "revoke-role"
  | "assign-role"
  | "suspend"
  | "restore"
  | "disable"
  | "enable";

export interface PolicyPlansTable {
  plan_id: Generated<number>;
  org_id: string;
  crawl_run_id: number;
  data_as_of: Timestamp;
  created_at: Timestamp;
  created_by: string;
  status: ColumnType<PlanStatus, PlanStatus | undefined, PlanStatus>;
  approved_at: Timestamp | null;
  approved_by: string | null;
  approval: "manual" | "auto" | null;
  warn_until: Timestamp | null;
  /** Loosely typed here (db/ sits below policy/); parsed by src/policy. */
  config: JsonWithDefault<unknown>;
  summary: JsonWithDefault<unknown>;
  excluded: JsonWithDefault<unknown>;
  cut: JsonWithDefault<unknown>;
  idp_changes: JsonWithDefault<unknown>;
  workbook_path: string | null;
  csv_path: string | null;
  change_list_path: string | null;
  updated_at: Timestamp;
}

export interface PolicyActionsTable {
  action_id: Generated<number>;
  plan_id: number;
  org_id: string;
  seq: number;
  account_id: string;
  email: string | null;
  name: string | null;
  kind: string;
  product_key: string;
  resource_id: string | null;
  rule: string;
  reason: string;
  detail: JsonWithDefault<unknown>;
  calls: JsonWithDefault<unknown>;
  seats: number;
  saving_monthly: number;
  state: ColumnType<ActionState, ActionState | undefined, ActionState>;
  outcome: string | null;
  still_held: ColumnType<boolean, boolean | undefined, boolean>;
  applied_at: Timestamp | null;
  undo_state: UndoState | null;
  undo_outcome: string | null;
  undone_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface PolicyStepsTable {
  step_id: Generated<number>;
  action_id: number;
  plan_id: number;
  org_id: string;
  phase: StepPhase;
  seq: number;
  step_key: string;
  op: StepOp;
  target: Json<unknown>;
  state: ColumnType<StepState, StepState | undefined, StepState>;
  attempts: Generated<number>;
  error: string | null;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface PolicyAuditTable {
  audit_id: Generated<number>;
  at: Timestamp;
  org_id: string;
  plan_id: number;
  action_id: number;
  step_id: number;
  phase: StepPhase;
  moment: "before" | "after";
  actor: string;
  rule: string;
  account_id: string;
  op: StepOp;
  request: Json<unknown>;
  response_status: number | null;
  response_body: Json<unknown> | null;
  state: Json<unknown> | null;
  outcome: string | null;
  error: string | null;
}

export interface PolicyClaimsTable {
  org_id: string;
  plan_id: number;
  token: string;
  pid: number;
  host: string;
  claimed_at: Timestamp;
  expires_at: Timestamp;
}

export type PolicyPlanRow = Selectable<PolicyPlansTable>;
export type PolicyActionRow = Selectable<PolicyActionsTable>;
export type PolicyStepRow = Selectable<PolicyStepsTable>;
export type PolicyAuditRow = Selectable<PolicyAuditTable>;

export interface PolicyTables {
  policy_plans: PolicyPlansTable;
  policy_actions: PolicyActionsTable;
  policy_steps: PolicyStepsTable;
  policy_audit: PolicyAuditTable;
  policy_claims: PolicyClaimsTable;
}
