/**
 * The scheduled policy job for one org, what the scheduler's policy seam calls after a crawl
 * and report. With `policy.auto: false` (the default) it only plans: the plan waits in the
 * database (and the weekly email names it) for a person to approve. With `policy.auto: true`
 * it approves its own plan (recorded as "auto"; users are warned), waits out the warning
 * period over the following runs, and applies within the caps — and like any apply it still
 * refuses stale, incomplete or failed data and re-reads every user live.
 */
import type { Kysely } from "kysely";
import type { AtlassianClient } from "../atlassian/index.ts";
import type { PolicyConfig } from "../config/sections/policy.ts";
import type { ReportConfig } from "../config/sections/report.ts";
import { latestPlan } from "../db/repositories/policy-plans.repository.ts";
import type { Database } from "../db/schema.ts";
import type { MailTransport } from "../email/transport.ts";
import type { Clock } from "../shared/clock.ts";
import type { Logger } from "../shared/log.ts";
import { applyPlan, type ApplyResult } from "./apply/apply-plan.ts";
import { atlassianPolicyApi } from "./apply/atlassian-policy-api.ts";
import type { Sleep } from "./apply/journal.ts";
import { approvePlan, type Approval } from "./approve.ts";
import { PolicyRefusal } from "./errors.ts";
import { buildPlan, type BuiltPlan } from "./plan/build-plan.ts";

/** The actor of everything the auto mode does. */
export const AUTO_ACTOR = "auto";

export interface PolicyJobDeps {
  db: Kysely<Database>;
  /** The org's one client (from the composition root), shared with its crawl. */
  client: AtlassianClient;
  clock: Clock;
  log: Logger;
  /** For warnings (auto mode with policy.warnDays > 0). */
  transport?: MailTransport | undefined;
  sleep?: Sleep;
  /** Stops an apply at the next safe point (shutdown). */
  signal?: AbortSignal | undefined;
}

export interface PolicyJobSettings {
  policy: PolicyConfig;
  report: ReportConfig;
  outDir: string;
  from?: string | undefined;
}

export type PolicyJobResult =
  | { kind: "no-rules" }
  | { kind: "refused"; reason: string }
  /** auto off: a plan for a person to approve. */
  | { kind: "planned"; plan: BuiltPlan }
  /** auto: approved and warned; applied by a later run once the warning period is over. */
  | { kind: "approved"; plan: BuiltPlan; approval: Approval }
  | { kind: "waiting"; planId: number; until: Date }
  | { kind: "applied"; planId: number; result: ApplyResult };

/**
 * Runs the policy step of one scheduled run for one org.
 * @throws only for failures that are not a refusal (database down, a bug): a refusal is a result
 */
export async function runPolicyJob(
  deps: PolicyJobDeps,
  settings: PolicyJobSettings,
  orgId: string,
): Promise<PolicyJobResult> {
  const { db, clock, log } = deps;
  const { policy } = settings;
  if (policy.rules.length === 0) return { kind: "no-rules" };
  try {
    const apply = async (planId: number): Promise<PolicyJobResult> => {
      const result = await applyPlan(
        {
          db,
          api: atlassianPolicyApi(deps.client, orgId),
          clock,
          log,
          ...(deps.sleep ? { sleep: deps.sleep } : {}),
        },
        { planId, actor: AUTO_ACTOR, policy, ...(deps.signal ? { signal: deps.signal } : {}) },
      );
      return { kind: "applied", planId, result };
    };
    if (policy.auto) {
      // A plan this mode approved earlier and has not finished: apply it once it may be.
      const open = await latestPlan(db, orgId, ["approved", "partial"]);
      if (open !== undefined && open.approval === "auto") {
        const until = open.warn_until === null ? null : new Date(open.warn_until);
        if (until !== null && clock.now().getTime() < until.getTime())
          return { kind: "waiting", planId: Number(open.plan_id), until };
        if (open.status === "approved") return await apply(Number(open.plan_id));
      }
    }
    const plan = await buildPlan(
      { db, clock, log },
      { policy, report: settings.report, outDir: settings.outDir },
      { orgId, actor: AUTO_ACTOR },
    );
    if (!policy.auto || plan.actions.length === 0) return { kind: "planned", plan };
    const approval = await approvePlan(
      { db, clock, log, transport: deps.transport },
      { policy, from: settings.from },
      { planId: plan.planId, by: AUTO_ACTOR, kind: "auto" },
    );
    if (approval.warnUntil !== null) return { kind: "approved", plan, approval };
    return await apply(plan.planId);
  } catch (error) {
    if (!(error instanceof PolicyRefusal)) throw error;
    log.warn(`policy step for org ${orgId}: ${error.message}`);
    return { kind: "refused", reason: error.message };
  }
}
