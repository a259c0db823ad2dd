/**
 * The email delivery ledger. `claimDelivery` is the only way to get permission to send: it
 * succeeds for exactly one caller per (org, period, audience, recipient) unless the previous
 * attempt failed, was abandoned mid-send, or the caller forces a resend.
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
  { claimed: true; delivery: EmailDelivery } | { claimed: false; delivery: EmailDelivery };

/**
 * Claims the right to send. Returns `claimed: false` (with the existing row) when the report
 * was already sent, or another process is sending it right now.
 * @param staleAfterMs a `sending` row older than this is taken over (its sender died)
 */
export async function claimDelivery(
  db: Db,
  key: DeliveryKey,
  options: { reportId: number | null; at: Date; force: boolean; staleAfterMs: number },
): Promise<Claim> {
  const inserted = await db
    .insertInto("email_deliveries")
    .values({
      org_id: key.orgId,
      period: key.period,
      audience: key.audience,
      recipient: key.recipient,
      report_id: options.reportId,
      status: "sending",
      claimed_at: options.at,
      updated_at: options.at,
    })
    .onConflict((oc) => oc.columns(["org_id", "period", "audience", "recipient"]).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { claimed: true, delivery: inserted };

  const staleBefore = new Date(options.at.getTime() - options.staleAfterMs);
  const taken = await db
    .updateTable("email_deliveries")
    .set({
      status: "sending",
      claimed_at: options.at,
      updated_at: options.at,
      report_id: options.reportId,
    })
    .where("org_id", "=", key.orgId)
    .where("period", "=", key.period)
    .where("audience", "=", key.audience)
    .where("recipient", "=", key.recipient)
    .where((eb) =>
      eb.or([
        eb("status", "=", "failed"),
        eb.and([eb("status", "=", "sending"), eb("claimed_at", "<", staleBefore)]),
        ...(options.force ? [eb("status", "=", "sent")] : []),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
  if (taken) return { claimed: true, delivery: taken };
  const existing = await db
    .selectFrom("email_deliveries")
    .selectAll()
    .where("org_id", "=", key.orgId)
    .where("period", "=", key.period)
    .where("audience", "=", key.audience)
    .where("recipient", "=", key.recipient)
    .executeTakeFirstOrThrow();
  return { claimed: false, delivery: existing };
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

export async function markFailed(
  db: Db,
  deliveryId: number,
  failed: { at: Date; attempts: number; transport: string; error: string },
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
