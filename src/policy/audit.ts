/** `reclaim policy audit`: every write, before and after, as stored (oldest first). */
import type { Kysely } from "kysely";
import { auditRows } from "../db/repositories/policy-apply.repository.ts";
import type { Database } from "../db/schema.ts";
import type { PolicyAuditRow } from "../db/tables/policy.ts";

export interface AuditRecord {
  auditId: number;
  at: Date;
  orgId: string;
  planId: number;
  actionId: number;
  stepId: number;
  phase: string;
  moment: "before" | "after";
  actor: string;
  rule: string;
  accountId: string;
  op: string;
  request: { method: string; path: string; body?: unknown };
  responseStatus: number | null;
  responseBody: unknown;
  state: unknown;
  outcome: string | null;
  error: string | null;
}

function toRecord(r: PolicyAuditRow): AuditRecord {
  const req = r.request as { method?: unknown; path?: unknown; body?: unknown };
  return {
    auditId: Number(r.audit_id),
    at: new Date(r.at),
    orgId: r.org_id,
    planId: Number(r.plan_id),
    actionId: Number(r.action_id),
    stepId: Number(r.step_id),
    phase: r.phase,
    moment: r.moment,
    actor: r.actor,
    rule: r.rule,
    accountId: r.account_id,
    op: r.op,
    request: {
      method: typeof req.method === "string" ? req.method : "",
      path: typeof req.path === "string" ? req.path : "",
      ...(req.body !== undefined ? { body: req.body } : {}),
    },
    responseStatus: r.response_status,
    responseBody: r.response_body,
    state: r.state,
    outcome: r.outcome,
    error: r.error,
  };
}

/** The audit log of one plan, or of all plans. */
export async function listAudit(db: Kysely<Database>, planId?: number): Promise<AuditRecord[]> {
  return (await auditRows(db, planId)).map(toRecord);
}
