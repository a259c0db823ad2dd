/**
 * The email delivery ledger. `claimDelivery` is the only way to get permission to send: it
 * succeeds for exactly one caller per (org, period, audience, recipient) at a time; an existing
 * row is taken over only when the caller's rule allows it (see src/email/delivery-claim.ts).
 */
import type { Kysely } from "kysely";
import type { Database } from "../schema.ts";
import type { EmailDelivery } from "../tables/email.ts";

type Db = Kysely<Database>;

export interface DeliveryKey {
  orgId: string;
  period: string;
  audience: string;
  recipient: string;
}

export type Claim =
  | {
      claimed: true;
      delivery: EmailDelivery;
      /** The row as it was, when taken over. */ previous?: EmailDelivery;
    }
  | { claimed: false; delivery: EmailDelivery };

/** Who is sending: the host and pid namespace a pid belongs to, the pid, and a fresh token. */
export interface ClaimOwner {
  host: string;
  pidNs: string | null;
  pid: number;
  /** Unique to this claim; takeovers and updates compare it (compare-and-swap). */
  token: string;
}

export interface ClaimRequest {
  reportId: number | null;
  at: Date;
  owner: ClaimOwner;
  /**
   * Whether an existing row may be claimed: the use-case's rule (a failed attempt, a forced
   * resend, a sender that is gone). Called with the row as read; the takeover then succeeds
   * only if nobody changed the row in between.
   */
  mayTakeOver: (existing: EmailDelivery) => boolean;
}

/**
 * Claims the right to send: inserts a `sending` row, or takes over an existing one the rule
 * allows, atomically (two callers never both get the claim). Returns `claimed: false` with
 * the existing row when the rule says no (already sent, or a live sender holds it).
 */
export async function claimDelivery(
  db: Db,
  key: DeliveryKey,
  request: ClaimRequest,
): Promise<Claim> {
  const { at, owner } = request;
  const claim = {
    status: "sending",
    claimed_at: at,
    updated_at: at,
    heartbeat_at: at,
    report_id: request.reportId,
    claim_host: owner.host,
    claim_pid_ns: owner.pidNs,
    claim_pid: owner.pid,
    claim_token: owner.token,
  } as const;
  // Every claim writes a new token and a claim's status only moves forward, so (status, token)
  // names one state of the row: a takeover that matches both is a compare-and-swap. A lost swap
  // means another caller changed the row: read it again and decide again.
  for (let round = 0; round < 5; round++) {
    const inserted = await db
      .insertInto("email_deliveries")
      .values({
        org_id: key.orgId,
        period: key.period,
        audience: key.audience,
        recipient: key.recipient,
        ...claim,
      })
      .onConflict((oc) => oc.columns(["org_id", "period", "audience", "recipient"]).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { claimed: true, delivery: inserted };

    const existing = await db
      .selectFrom("email_deliveries")
      .selectAll()
      .where("org_id", "=", key.orgId)
      .where("period", "=", key.period)
      .where("audience", "=", key.audience)
      .where("recipient", "=", key.recipient)
      .executeTakeFirst();
    if (!existing) continue; // deleted in between: insert again
    if (!request.mayTakeOver(existing)) return { claimed: false, delivery: existing };
    const taken = await db
      .updateTable("email_deliveries")
      .set(claim)
      .where("delivery_id", "=", existing.delivery_id)
      .where("status", "=", existing.status)
      .where((eb) =>
        existing.claim_token === null
          ? eb("claim_token", "is", null)
          : eb("claim_token", "=", existing.claim_token),
      )
      .returningAll()
      .executeTakeFirst();
    if (taken) return { claimed: true, delivery: taken, previous: existing };
  }
  throw new Error(
    `could not claim the email delivery to ${key.recipient} (${key.orgId}, ${key.period}): the ledger row kept changing`,
  );
}

/**
 * Renews a claim's heartbeat while its message is being sent.
 * @returns false when the claim is no longer this sender's (it was taken over or finished)
 */
export async function renewClaim(
  db: Db,
  deliveryId: number,
  token: string,
  at: Date,
): Promise<boolean> {
  const renewed = await db
    .updateTable("email_deliveries")
    .set({ heartbeat_at: at })
    .where("delivery_id", "=", deliveryId)
    .where("claim_token", "=", token)
    .where("status", "=", "sending")
    .executeTakeFirst();
  return Number(renewed.numUpdatedRows) > 0;
}

export async function markSent(
  db: Db,
  deliveryId: number,
  sent: {
    at: Date;
    attempts: number;
    transport: string;
    messageId: string | null;
    location: string | null;
  },
): Promise<void> {
  await db
    .updateTable("email_deliveries")
    .set((eb) => ({
      status: "sent",
      sent_at: sent.at,
      updated_at: sent.at,
      attempts: eb("attempts", "+", sent.attempts),
      sends: eb("sends", "+", 1),
      transport: sent.transport,
      message_id: sent.messageId,
      location: sent.location,
      last_error: null,
    }))
    .where("delivery_id", "=", deliveryId)
    .execute();
}

/** Records a failed attempt (retried by the next run), unless the claim was taken over meanwhile. */
export async function markFailed(
  db: Db,
  deliveryId: number,
  failed: { at: Date; attempts: number; transport: string; error: string; token: string },
): Promise<void> {
  await db
    .updateTable("email_deliveries")
    .set((eb) => ({
      status: "failed",
      updated_at: failed.at,
      attempts: eb("attempts", "+", failed.attempts),
      transport: failed.transport,
      last_error: failed.error,
    }))
    .where("delivery_id", "=", deliveryId)
    .where("claim_token", "=", failed.token)
    .execute();
}

/** The newest report of each org (or of one org), with what the email needs. */
export async function latestReports(db: Db, orgId?: string) {
  let q = db
    .selectFrom("report_runs as r")
    .innerJoin("orgs as o", "o.org_id", "r.org_id")
    .selectAll("r")
    .select("o.name as org_name")
    .where((eb) =>
      eb(
        "r.report_id",
        "=",
        eb
          .selectFrom("report_runs as r2")
          .select((e) => e.fn.max("r2.report_id").as("m"))
          .whereRef("r2.org_id", "=", "r.org_id"),
      ),
    );
  if (orgId) q = q.where("r.org_id", "=", orgId);
  return q.orderBy("r.org_id").execute();
}
