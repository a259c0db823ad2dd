/**
 * The first Reclaim schema: what the crawler stores and what reports read.
 *
 * Frozen in time: this file never imports from src/ and is never edited after it lands;
 * later changes get a migration of their own.
 *
 * Design notes
 * - Current-state tables (`users`, `user_products`, `user_groups`, ...) hold the newest
 *   complete picture of each org and are what day-to-day reports query.
 * - History is kept as *versions*: `user_versions` and `user_product_versions` get a row
 *   only when something about a user or a user's product activity changes between crawls
 *   (valid from one crawl run to the run that superseded it). Any past state is
 *   "the versions valid at run R", so a past report can be rebuilt exactly, while an org
 *   whose users did not change costs nothing per crawl.
 * - `crawl_product_stats` keeps per-run aggregates per product, so trend charts need no
 *   scan of the version tables.
 * - All timestamps are timestamptz in UTC; date-only values from the API are `date`.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("orgs")
    .addColumn("org_id", "text", (c) => c.primaryKey())
    .addColumn("name", "text")
    .addColumn("first_seen_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("crawl_runs")
    .addColumn("run_id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.org_id").onDelete("cascade"))
    .addColumn("strategy", "text", (c) => c.notNull())
    // running | succeeded | incomplete | failed
    .addColumn("status", "text", (c) => c.notNull().defaultTo("running"))
    .addColumn("started_at", "timestamptz", (c) => c.notNull())
    .addColumn("heartbeat_at", "timestamptz", (c) => c.notNull())
    .addColumn("finished_at", "timestamptz")
    .addColumn("users_total", "integer")
    .addColumn("users_done", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("users_failed", "integer", (c) => c.notNull().defaultTo(0))
    // { phase, cursor, ... } written as pages complete, so a killed crawl resumes
    .addColumn("checkpoint", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // API calls by endpoint, 429s, retries, achieved rate, disagreements found ...
    .addColumn("summary", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("error", "text")
    .execute();
  await db.schema
    .createIndex("crawl_runs_org_started_idx")
    .on("crawl_runs")
    .columns(["org_id", "started_at"])
    .execute();

  await db.schema
    .createTable("crawl_errors")
    .addColumn("run_id", "bigint", (c) =>
      c.notNull().references("crawl_runs.run_id").onDelete("cascade"),
    )
    .addColumn("account_id", "text")
    .addColumn("endpoint", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("occurred_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("crawl_errors_run_idx").on("crawl_errors").column("run_id").execute();

  await db.schema
    .createTable("directories")
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.org_id").onDelete("cascade"))
    .addColumn("directory_id", "text", (c) => c.notNull())
    .addColumn("name", "text")
    .addColumn("last_seen_run_id", "bigint")
    .addPrimaryKeyConstraint("directories_pk", ["org_id", "directory_id"])
    .execute();

  // A product on a site: (product key, resource id). One site can host several products.
  await db.schema
    .createTable("products")
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.org_id").onDelete("cascade"))
    .addColumn("product_key", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("name", "text")
    .addColumn("site_url", "text")
    .addColumn("workspace_type", "text")
    .addColumn("first_seen_run_id", "bigint")
    .addColumn("last_seen_run_id", "bigint")
    .addPrimaryKeyConstraint("products_pk", ["org_id", "product_key", "resource_id"])
    .execute();

  await db.schema
    .createTable("groups")
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.org_id").onDelete("cascade"))
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("directory_id", "text")
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    // e.g. "scim" when an identity provider owns the group: edit it in the IdP, not here
    .addColumn("management_source", "text")
    .addColumn("last_seen_run_id", "bigint")
    .addPrimaryKeyConstraint("groups_pk", ["org_id", "group_id"])
    .execute();

  // What a group grants: a role on a product resource (the reason a seat is billable).
  await db.schema
    .createTable("group_grants")
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("product_key", "text")
    .addPrimaryKeyConstraint("group_grants_pk", ["org_id", "group_id", "resource_id", "role"])
    .addForeignKeyConstraint(
      "group_grants_group_fk",
      ["org_id", "group_id"],
      "groups",
      ["org_id", "group_id"],
      (fk) => fk.onDelete("cascade"),
    )
    .execute();

  await db.schema
    .createTable("users")
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.org_id").onDelete("cascade"))
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("email", "text")
    .addColumn("name", "text")
    .addColumn("account_type", "text")
    .addColumn("account_status", "text")
    .addColumn("membership_status", "text")
    .addColumn("status", "text")
    .addColumn("claim_status", "text")
    .addColumn("management_source", "text")
    .addColumn("platform_roles", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("mfa_enabled", "boolean")
    .addColumn("added_to_org", "timestamptz")
    .addColumn("first_seen_run_id", "bigint")
    .addColumn("last_seen_run_id", "bigint")
    // set when a complete crawl no longer finds the user (left, removed or deleted)
    .addColumn("removed_at", "timestamptz")
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("users_pk", ["org_id", "account_id"])
    .execute();

  await db.schema
    .createTable("user_groups")
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("group_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("user_groups_pk", ["org_id", "account_id", "group_id"])
    .addForeignKeyConstraint(
      "user_groups_user_fk",
      ["org_id", "account_id"],
      "users",
      ["org_id", "account_id"],
      (fk) => fk.onDelete("cascade"),
    )
    .execute();
  await db.schema
    .createIndex("user_groups_group_idx")
    .on("user_groups")
    .columns(["org_id", "group_id"])
    .execute();

  // Per-user-per-product access and last activity. last_active_at null = never active.
  await db.schema
    .createTable("user_products")
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("product_key", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("last_active_at", "timestamptz")
    .addColumn("last_active_date", "date")
    // bulk (v2 users/search expand=productAccess) | per-user (v1 last-active-dates)
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("observed_at", "timestamptz", (c) => c.notNull())
    .addColumn("run_id", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("user_products_pk", [
      "org_id",
      "account_id",
      "product_key",
      "resource_id",
    ])
    .addForeignKeyConstraint(
      "user_products_user_fk",
      ["org_id", "account_id"],
      "users",
      ["org_id", "account_id"],
      (fk) => fk.onDelete("cascade"),
    )
    .execute();
  await db.schema
    .createIndex("user_products_product_idx")
    .on("user_products")
    .columns(["org_id", "product_key", "resource_id"])
    .execute();

  // History: one row per change of a user's attributes, valid over [valid_from_run, valid_to_run).
  await db.schema
    .createTable("user_versions")
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("valid_from_run_id", "bigint", (c) => c.notNull())
    .addColumn("valid_to_run_id", "bigint")
    .addColumn("email", "text")
    .addColumn("name", "text")
    .addColumn("account_type", "text")
    .addColumn("account_status", "text")
    .addColumn("membership_status", "text")
    .addColumn("status", "text")
    .addColumn("claim_status", "text")
    .addColumn("management_source", "text")
    .addColumn("platform_roles", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("added_to_org", "timestamptz")
    .addColumn("removed", "boolean", (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint("user_versions_pk", ["org_id", "account_id", "valid_from_run_id"])
    .execute();

  // History: one row per change of a user's activity on a product.
  await db.schema
    .createTable("user_product_versions")
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("product_key", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("valid_from_run_id", "bigint", (c) => c.notNull())
    .addColumn("valid_to_run_id", "bigint")
    .addColumn("last_active_at", "timestamptz")
    .addColumn("last_active_date", "date")
    // false = the access itself ended with valid_from_run_id
    .addColumn("has_access", "boolean", (c) => c.notNull().defaultTo(true))
    .addPrimaryKeyConstraint("user_product_versions_pk", [
      "org_id",
      "account_id",
      "product_key",
      "resource_id",
      "valid_from_run_id",
    ])
    .execute();

  // Per-run aggregates per product, for trend charts without scanning history.
  // Dormant at threshold N days = seats - active_N (never-active users are never active).
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
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "crawl_product_stats",
    "user_product_versions",
    "user_versions",
    "user_products",
    "user_groups",
    "users",
    "group_grants",
    "groups",
    "products",
    "directories",
    "crawl_errors",
    "crawl_runs",
    "orgs",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
