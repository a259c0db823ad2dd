/**
 * Report runs: one row per workbook built, with the headline numbers the email reads, so an
 * email never recomputes (or disagrees with) the workbook it attaches.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("report_runs")
    .addColumn("report_id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.org_id").onDelete("cascade"))
    // the succeeded crawl the report was built from
    .addColumn("crawl_run_id", "bigint", (c) => c.notNull().references("crawl_runs.run_id"))
    .addColumn("generated_at", "timestamptz", (c) => c.notNull())
    // ISO week of generated_at, e.g. "2026-W48": the email is sent once per period
    .addColumn("period", "text", (c) => c.notNull())
    .addColumn("workbook_path", "text", (c) => c.notNull())
    .addColumn("csv_path", "text")
    .addColumn("finance_workbook_path", "text")
    // ReportSummary (src/reports/summary.ts): totals, per-product numbers, savings, trend
    .addColumn("summary", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema
    .createIndex("report_runs_org_period_idx")
    .on("report_runs")
    .columns(["org_id", "period", "generated_at"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("report_runs").execute();
}
