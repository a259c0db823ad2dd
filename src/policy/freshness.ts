/**
 * The data a plan (or an apply) may act on: the org's latest succeeded crawl, and only when
 * the latest finished crawl is that one and it is recent. A failed or incomplete crawl, or
 * stale data, is refused: acting on what we do not know is how active users lose access.
 */
import type { Kysely } from "kysely";
import { latestFinishedCrawl } from "../db/repositories/policy-plans.repository.ts";
import { succeededRun, type SucceededRun } from "../db/repositories/reports.repository.ts";
import type { Database } from "../db/schema.ts";
import { PolicyRefusal } from "./errors.ts";

const HOUR_MS = 3_600_000;

/**
 * The org's latest crawl when it succeeded within `maxAgeHours` of `now`.
 * @throws PolicyRefusal naming the crawl and what to do
 */
export async function freshSucceededRun(
  db: Kysely<Database>,
  orgId: string,
  now: Date,
  maxAgeHours: number,
): Promise<SucceededRun> {
  const latest = await latestFinishedCrawl(db, orgId);
  if (latest === null)
    throw new PolicyRefusal(
      `no finished crawl of org ${orgId}: run \`reclaim crawl\` first (the policy acts only on a complete crawl)`,
    );
  const when = latest.finishedAt.toISOString();
  if (latest.status !== "succeeded")
    throw new PolicyRefusal(
      `the latest crawl of org ${orgId} (run ${latest.runId}, finished ${when}) is ${latest.status}${latest.error ? ` (${latest.error})` : ""}: the policy acts only on a complete crawl; run \`reclaim crawl\` again`,
    );
  const ageHours = (now.getTime() - latest.finishedAt.getTime()) / HOUR_MS;
  if (ageHours > maxAgeHours)
    throw new PolicyRefusal(
      `the latest crawl of org ${orgId} (run ${latest.runId}) finished ${ageHours.toFixed(1)} hours ago, more than policy.maxDataAgeHours (${maxAgeHours}): run \`reclaim crawl\` first`,
    );
  const run = await succeededRun(db, latest.runId);
  if (run === null)
    throw new PolicyRefusal(`crawl run ${latest.runId} of org ${orgId} is not a succeeded crawl`);
  return run;
}
