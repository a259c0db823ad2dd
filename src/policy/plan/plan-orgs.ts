/**
 * Plans for every crawled org (or one): each org's outcome on its own, so one org's stale
 * data never blocks another's plan.
 */
import { ConfigError } from "../../config/config.ts";
import { crawledOrgIds } from "../../db/repositories/policy-plans.repository.ts";
import { errorMessage } from "../../shared/errors.ts";
import { PolicyRefusal } from "../errors.ts";
import { buildPlan, type BuiltPlan, type PlanDeps, type PlanSettings } from "./build-plan.ts";

export type PlanOutcome =
  { orgId: string; ok: true; plan: BuiltPlan } | { orgId: string; ok: false; refusal: string };

/**
 * @throws ConfigError when the config has no rules (nothing to plan: exit 2)
 * @throws PolicyRefusal when there is no crawled org at all
 */
export async function planOrgs(
  deps: PlanDeps,
  settings: PlanSettings,
  options: { orgId?: string; actor: string },
): Promise<PlanOutcome[]> {
  if (settings.policy.rules.length === 0)
    throw new ConfigError([
      'policy.rules is empty: add at least one rule to the config file, e.g. {"policy": {"rules": [{"name": "idle-90", "idleDays": 90, "action": "remove-product-access"}]}}',
    ]);
  const orgIds = options.orgId !== undefined ? [options.orgId] : await crawledOrgIds(deps.db);
  if (orgIds.length === 0)
    throw new PolicyRefusal("no org has been crawled: run `reclaim crawl` first");
  const out: PlanOutcome[] = [];
  for (const orgId of orgIds) {
    try {
      out.push({
        orgId,
        ok: true,
        plan: await buildPlan(deps, settings, { orgId, actor: options.actor }),
      });
    } catch (error) {
      if (!(error instanceof PolicyRefusal)) throw error;
      out.push({ orgId, ok: false, refusal: errorMessage(error) });
    }
  }
  return out;
}
