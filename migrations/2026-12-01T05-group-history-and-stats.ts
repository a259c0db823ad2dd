/**
 * History of groups, what they grant and who is in them, so a report is rebuilt from a
 * succeeded crawl's own state and never from tables a later (possibly failed) crawl touched;
 * and per-run product statistics computed with the report's own rules.
 *
 * - `group_versions`, `group_grant_versions`, `user_group_versions`: versions valid over
 *   [valid_from_run_id, valid_to_run_id), written by succeeded crawls only, like
 *   `user_versions`. Existing rows are backfilled as valid from each org's first succeeded
 *   crawl (what was known: the memberships as stored now).
 * - `product_stats` replaces `crawl_product_stats`: the latter stored activity at four fixed
 *   windows and could not say what a report with another threshold or grace period shows, so
 *   the trend disagreed with the summary. `product_stats` holds, per run, per product and per
 *   set of rules (`rules_key`), the numbers computed by the same query as the summary; a
 *   report computes a missing entry from the history and stores it.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("group_versions")
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("valid_from_run_id", "bigint", (c) => c.notNull())
    .addColumn("valid_to_run_id", "bigint")
    .addColumn("directory_id", "text")
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("management_source", "text")
    .addPrimaryKeyConstraint("group_versions_pk", ["org_id", "group_id", "valid_from_run_id"])
    .execute();

  await db.schema
    .createTable("group_grant_versions")
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("product_key", "text")
    .addColumn("valid_from_run_id", "bigint", (c) => c.notNull())
    .addColumn("valid_to_run_id", "bigint")
    .addPrimaryKeyConstraint("group_grant_versions_pk", [
      "org_id",
      "group_id",
      "resource_id",
      "role",
      "valid_from_run_id",
    ])
    .execute();

  await db.schema
    .createTable("user_group_versions")
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("valid_from_run_id", "bigint", (c) => c.notNull())
    .addColumn("valid_to_run_id", "bigint")
    .addPrimaryKeyConstraint("user_group_versions_pk", [
      "org_id",
      "account_id",
      "group_id",
      "valid_from_run_id",
    ])
    .execute();

  const firstSucceeded = sql`(select r.org_id, min(r.run_id) as run_id from crawl_runs r
    where r.status = 'succeeded' group by r.org_id)`;
  await sql`insert into group_versions (org_id, group_id, valid_from_run_id, directory_id, name,
      description, management_source)
    select g.org_id, g.group_id, f.run_id, g.directory_id, g.name, g.description, g.management_source
    from groups g join ${firstSucceeded} f on f.org_id = g.org_id`.execute(db);
  await sql`insert into group_grant_versions (org_id, group_id, resource_id, role, product_key,
      valid_from_run_id)
    select g.org_id, g.group_id, g.resource_id, g.role, g.product_key, f.run_id
    from group_grants g join ${firstSucceeded} f on f.org_id = g.org_id`.execute(db);
  await sql`insert into user_group_versions (org_id, account_id, group_id, valid_from_run_id)
    select m.org_id, m.account_id, m.group_id, f.run_id
    from user_groups m join ${firstSucceeded} f on f.org_id = m.org_id`.execute(db);

  await db.schema
    .createTable("product_stats")
    .addColumn("run_id", "bigint", (c) =>
      c.notNull().references("crawl_runs.run_id").onDelete("cascade"),
    )
    // the rules the numbers were computed with, e.g. "dormant=90;grace=30;days=30,60,90,180"
    .addColumn("rules_key", "text", (c) => c.notNull())
    .addColumn("product_key", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("seats", "integer", (c) => c.notNull())
    .addColumn("never_active", "integer", (c) => c.notNull())
    // { "<days>": { active, grace, dormant } } for every threshold of the rules
    .addColumn("by_threshold", "jsonb", (c) => c.notNull())
    .addPrimaryKeyConstraint("product_stats_pk", [
      "run_id",
      "rules_key",
      "product_key",
      "resource_id",
    ])
    .execute();
  await db.schema.dropTable("crawl_product_stats").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("product_stats").execute();
  await db.schema
    .createTable("crawl_product_stats")
    .addColumn("run_id", "bigint", (c) =>
      c.notNull().references("crawl_runs.run_id").onDelete("cascade"),
    )
    .addColumn("product_key", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("seats", "integer", (c) => c.notNull())
    .addColumn("active_30", "integer", (c) => c.notNull())
    .addColumn("active_60", "integer", (c) => c.notNull())
    .addColumn("active_90", "integer", (c) => c.notNull())
    .addColumn("active_180", "integer", (c) => c.notNull())
    .addColumn("never_active", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("crawl_product_stats_pk", ["run_id", "product_key", "resource_id"])
    .execute();
  for (const table of ["user_group_versions", "group_grant_versions", "group_versions"]) {
    await db.schema.dropTable(table).execute();
  }
}
