/**
 * `reclaim policy approve PLAN`: the separate, recorded decision to act on a plan — who (the
 * OS user, `--by`, or "auto" for the opt-in auto mode) and when. With a warning period the
 * users are emailed now and the plan can be applied only once the period is over.
 */
import type { Kysely } from "kysely";
import type { PolicyConfig } from "../config/sections/policy.ts";
import {
  approvePlan as recordApproval,
  getPlan,
  planActions,
} from "../db/repositories/policy-plans.repository.ts";
import type { Database } from "../db/schema.ts";
import type { MailTransport } from "../email/transport.ts";
import type { Clock } from "../shared/clock.ts";
import type { Logger } from "../shared/log.ts";
import { PolicyRefusal } from "./errors.ts";
import { parse } from "./model.ts";
import { sendWarnings, type WarningOutcome } from "./warnings.ts";

const DAY_MS = 86_400_000;
const DEFAULT_FROM = "Reclaim <reclaim@localhost>";

export interface ApproveDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  /** Where warnings go (SMTP or the outbox); needed only when the plan warns. */
  transport?: MailTransport | undefined;
}

export interface Approval {
  planId: number;
  orgId: string;
  approvedBy: string;
  approval: "manual" | "auto";
  approvedAt: Date;
  /** No apply before this; null when the plan does not warn. */
  warnUntil: Date | null;
  warnings: WarningOutcome[];
}

/**
 * Approves a pending plan and sends its warnings.
 * @throws PolicyRefusal for an unknown plan or one that is not pending
 */
export async function approvePlan(
  deps: ApproveDeps,
  settings: { policy: Pick<PolicyConfig, "warning">; from?: string | undefined },
  options: { planId: number; by: string; kind: "manual" | "auto" },
): Promise<Approval> {
  const { db, clock } = deps;
  const plan = await getPlan(db, options.planId);
  if (plan === undefined)
    throw new PolicyRefusal(`there is no plan ${options.planId}: see \`reclaim policy plan\``);
  const planId = Number(plan.plan_id);
  if (plan.status !== "pending")
    throw new PolicyRefusal(
      plan.approved_at !== null
        ? `plan ${planId} was already approved by ${plan.approved_by ?? "?"} at ${new Date(plan.approved_at).toISOString()} (status ${plan.status})`
        : `plan ${planId} is ${plan.status}, not pending`,
    );
  const summary = parse.summary(plan.summary);
  const at = clock.now();
  const warnUntil =
    summary.warnDays > 0 ? new Date(at.getTime() + summary.warnDays * DAY_MS) : null;
  if (!(await recordApproval(db, planId, { by: options.by, at, kind: options.kind, warnUntil })))
    throw new PolicyRefusal(`plan ${planId} was approved by someone else just now`);
  let warnings: WarningOutcome[] = [];
  if (warnUntil !== null) {
    if (deps.transport === undefined)
      throw new Error("approvePlan: a plan with a warning period needs a mail transport");
    const actions = (await planActions(db, planId)).filter((a) => a.state === "planned");
    warnings = await sendWarnings(
      { db, clock, transport: deps.transport },
      {
        planId,
        orgId: plan.org_id,
        orgName: summary.orgName ?? plan.org_id,
        from: settings.policy.warning.from ?? settings.from ?? DEFAULT_FROM,
        actionDate: warnUntil,
        actions,
        warning: settings.policy.warning,
      },
    );
  }
  deps.log.info("policy plan approved", {
    planId,
    orgId: plan.org_id,
    by: options.by,
    approval: options.kind,
    warnUntil: warnUntil?.toISOString() ?? null,
    warned: warnings.filter((w) => w.status === "sent" || w.status === "written").length,
  });
  return {
    planId,
    orgId: plan.org_id,
    approvedBy: options.by,
    approval: options.kind,
    approvedAt: at,
    warnUntil,
    warnings,
  };
}
