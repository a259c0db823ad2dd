/**
 * Activity seen by a crawl after the plan was made (typically during the users' warning
 * period) drops the user from the plan before anything is written.
 */
import type { Kysely } from "kysely";
import { moveAction } from "../../db/repositories/policy-apply.repository.ts";
import { activityAt, planActions } from "../../db/repositories/policy-plans.repository.ts";
import type { SucceededRun } from "../../db/repositories/reports.repository.ts";
import type { Database } from "../../db/schema.ts";
import type { PolicyPlanRow } from "../../db/tables/policy.ts";
import { parse } from "../model.ts";

/** Drops planned actions whose user a later succeeded crawl saw active; returns how many. */
export async function dropActiveInLaterCrawl(
  db: Kysely<Database>,
  plan: PolicyPlanRow,
  later: SucceededRun,
  at: Date,
): Promise<number> {
  const planned = (await planActions(db, Number(plan.plan_id))).filter(
    (a) => a.state === "planned",
  );
  const activity = await activityAt(db, plan.org_id, later.runId, [
    ...new Set(planned.map((a) => a.account_id)),
  ]);
  let dropped = 0;
  for (const a of planned) {
    const detail = parse.detail(a.detail);
    const seen = (resourceId: string) =>
      detail.lastActive.find((s) => s.resourceId === resourceId)?.lastActiveAt ?? null;
    const newer = (activity.get(a.account_id) ?? []).find((p) => {
      if (a.resource_id !== null && p.resourceId !== a.resource_id) return false;
      if (p.lastActiveAt === null) return false;
      const before = seen(p.resourceId);
      return before === null || p.lastActiveAt.getTime() >= new Date(before).getTime() + 1000;
    });
    if (newer === undefined) continue;
    const reason = `active ${newer.lastActiveAt!.toISOString()} in ${newer.productKey} (seen by crawl run ${later.runId}, after the plan): dropped`;
    if (
      await moveAction(db, Number(a.action_id), ["planned"], {
        state: "dropped",
        at,
        outcome: reason,
      })
    )
      dropped++;
  }
  return dropped;
}
