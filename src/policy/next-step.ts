/**
 * "What the policy would do next" for the weekly email: the org's open plan (pending approval,
 * or approved and not yet applied), what it would free and save, and the command that moves
 * it on. Read from the database only.
 */
import type { Kysely } from "kysely";
import { latestPlan } from "../db/repositories/policy-plans.repository.ts";
import type { Database } from "../db/schema.ts";
import { parse } from "./model.ts";

export interface PolicyNextStep {
  planId: number;
  orgId: string;
  status: "pending" | "approved";
  createdAt: Date;
  /** When the crawl the plan was built from finished. */
  dataAsOf: Date;
  actions: number;
  seats: number;
  savingMonthly: number;
  currency: string;
  /** Left out by the caps. */
  cut: number;
  /** Approved plans with a warning period: not before this. */
  applyAfter: Date | null;
  /** e.g. "reclaim policy approve 12". */
  command: string;
  /** One sentence for the email. */
  text: string;
  workbookPath: string | null;
}

/** The org's open plan, or null when there is none. */
export async function policyNextStep(
  db: Kysely<Database>,
  orgId: string,
): Promise<PolicyNextStep | null> {
  const plan = await latestPlan(db, orgId, ["pending", "approved"]);
  if (plan === undefined) return null;
  const s = parse.summary(plan.summary);
  const planId = Number(plan.plan_id);
  const status = plan.status === "approved" ? "approved" : "pending";
  const applyAfter = plan.warn_until === null ? null : new Date(plan.warn_until);
  const command =
    status === "pending" ? `reclaim policy approve ${planId}` : `reclaim policy apply ${planId}`;
  const what = `${s.actions} actions freeing ${s.seats} seats (${s.savingMonthly.toFixed(2)} ${s.currency}/month)`;
  const text =
    status === "pending"
      ? `Plan ${planId} would make ${what}; nothing happens until someone approves it: ${command}${s.warnDays > 0 ? ` (users are warned ${s.warnDays} days ahead)` : ""}.`
      : `Plan ${planId} (${what}) is approved by ${plan.approved_by ?? "?"}; apply it${applyAfter ? ` after ${applyAfter.toISOString().slice(0, 10)}` : ""} with ${command}.`;
  return {
    planId,
    orgId,
    status,
    createdAt: new Date(plan.created_at),
    dataAsOf: new Date(plan.data_as_of),
    actions: s.actions,
    seats: s.seats,
    savingMonthly: s.savingMonthly,
    currency: s.currency,
    cut: s.cut,
    applyAfter,
    command,
    text,
    workbookPath: plan.workbook_path,
  };
}
