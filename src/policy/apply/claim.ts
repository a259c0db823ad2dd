/**
 * One apply (or undo) per org at a time: a row in policy_claims with a lease, renewed as the
 * run goes and released at the end. A second process, here or on another machine, is refused
 * while the lease runs; a holder that died (same host, pid gone) or stopped renewing is taken
 * over. Works the same on Postgres and PGlite (no advisory locks).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Kysely } from "kysely";
import {
  claimOrg,
  releaseClaim,
  renewClaim,
  type ClaimHolder,
} from "../../db/repositories/policy-apply.repository.ts";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { PolicyRefusal } from "../errors.ts";

export const DEFAULT_LEASE_MS = 120_000;

function processIsGone(h: ClaimHolder): boolean {
  if (h.host !== hostname() || h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Runs `fn` holding the org's claim; `renew()` extends the lease (cheap: it writes at most once
 * per third of the lease).
 * @throws PolicyRefusal when another apply or undo of the org holds the claim, or when the
 *   claim is lost midway (the lease ran out and another process took over)
 */
export async function withOrgClaim<T>(
  db: Kysely<Database>,
  clock: Clock,
  claim: { orgId: string; planId: number; leaseMs?: number | undefined },
  fn: (renew: () => Promise<void>) => Promise<T>,
): Promise<T> {
  const leaseMs = claim.leaseMs ?? DEFAULT_LEASE_MS;
  const token = randomUUID();
  const got = await claimOrg(
    db,
    { orgId: claim.orgId, planId: claim.planId, token, pid: process.pid, host: hostname() },
    clock.now(),
    leaseMs,
    processIsGone,
  );
  if (!got.claimed) {
    const h = got.holder;
    throw new PolicyRefusal(
      `another apply or undo of org ${claim.orgId} is running (plan ${h.planId}, pid ${h.pid} on ${h.host}, claimed ${h.claimedAt.toISOString()}, lease until ${h.expiresAt.toISOString()}): wait for it to finish`,
    );
  }
  let renewedAt = clock.now().getTime();
  const renew = async () => {
    const now = clock.now();
    if (now.getTime() - renewedAt < leaseMs / 3) return;
    if (!(await renewClaim(db, claim.orgId, token, now, leaseMs)))
      throw new PolicyRefusal(
        `lost the claim on org ${claim.orgId} (the lease ran out and another process took over): stopping; run the command again`,
      );
    renewedAt = now.getTime();
  };
  try {
    return await fn(renew);
  } finally {
    await releaseClaim(db, claim.orgId, token);
  }
}
