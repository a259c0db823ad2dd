/**
 * Who holds a `sending` claim in the email delivery ledger, so a rerun can tell a live sender
 * from a dead one: the host and its pid namespace (a pid means something only there), the
 * pid, a token that changes with every claim (for compare-and-swap takeovers), and a
 * heartbeat the sender renews while it sends (the lease other hosts go by).
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("email_deliveries")
    .addColumn("claim_host", "text")
    .addColumn("claim_pid_ns", "text")
    .addColumn("claim_pid", "integer")
    .addColumn("claim_token", "text")
    .addColumn("heartbeat_at", "timestamptz")
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("email_deliveries")
    .dropColumn("claim_host")
    .dropColumn("claim_pid_ns")
    .dropColumn("claim_pid")
    .dropColumn("claim_token")
    .dropColumn("heartbeat_at")
    .execute();
}
