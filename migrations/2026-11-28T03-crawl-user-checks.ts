/**
 * Per-user work of a crawl run, committed as it goes so a killed crawl resumes where it
 * stopped: users that need a last-active-dates call (`fill`: bulk data missing, or the
 * per-user strategy) and the random cross-check sample (`sample`).
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("crawl_user_checks")
    .addColumn("run_id", "bigint", (c) =>
      c.notNull().references("crawl_runs.run_id").onDelete("cascade"),
    )
    .addColumn("account_id", "text", (c) => c.notNull())
    // fill | sample
    .addColumn("purpose", "text", (c) => c.notNull())
    // pending | done | failed
    .addColumn("state", "text", (c) => c.notNull().defaultTo("pending"))
    // for samples: what disagreed between the two sources
    .addColumn("detail", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addPrimaryKeyConstraint("crawl_user_checks_pk", ["run_id", "account_id", "purpose"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("crawl_user_checks").execute();
}
