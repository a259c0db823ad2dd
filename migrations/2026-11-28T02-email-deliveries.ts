/**
 * The email delivery ledger: one row per (org, reporting period, audience, recipient). A
 * sender claims the row before sending, so a rerun, a retry or a second process never sends
 * the same period's report twice to the same recipient. `--force` resends on purpose and is
 * counted in `sends`.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("email_deliveries")
    .addColumn("delivery_id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.org_id").onDelete("cascade"))
    .addColumn("period", "text", (c) => c.notNull())
    .addColumn("audience", "text", (c) => c.notNull())
    .addColumn("recipient", "text", (c) => c.notNull())
    .addColumn("report_id", "bigint", (c) => c.references("report_runs.report_id"))
    // sending | sent | failed
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("sends", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("transport", "text")
    .addColumn("message_id", "text")
    // where the .eml went, for the outbox transport
    .addColumn("location", "text")
    // the server's reply on failure (never a credential)
    .addColumn("last_error", "text")
    .addColumn("claimed_at", "timestamptz", (c) => c.notNull())
    .addColumn("sent_at", "timestamptz")
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("email_deliveries_once", ["org_id", "period", "audience", "recipient"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("email_deliveries").execute();
}
