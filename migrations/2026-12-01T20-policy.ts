/**
 * The policy step: stored plans, their actions, the journal of every write (claimed before it
 * is sent, so a write happens once however many appliers run or restart), an append-only audit
 * log written before and after each write, and one apply claim per org.
 *
 * - `policy_plans`: a plan built from one succeeded crawl; `status` pending → approved →
 *   applied | partial | stopped → undone. Approval (who, when, manual or auto) and the end of
 *   the warning period are recorded here; what the plan left out (`excluded`, `cut`) and the
 *   IdP change list are kept with it as jsonb.
 * - `policy_actions`: one reclaim action (a seat's product access, or a whole user's access),
 *   with the calls it plans, its expected saving and its outcome.
 * - `policy_steps`: one API write of an action (apply or undo), unique per (action, phase,
 *   step_key): the unique key is the claim that makes each write happen once.
 * - `policy_audit`: one row before and one after every write: actor, plan, rule, target,
 *   request (method, path, body: never a credential), response, state before/after.
 * - `policy_claims`: the org's apply/undo lease (works across processes and machines, and on
 *   PGlite, which has a single session and no advisory locks worth the name).
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("policy_plans")
    .addColumn("plan_id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.org_id").onDelete("cascade"))
    // the succeeded crawl the plan was built from
    .addColumn("crawl_run_id", "bigint", (c) => c.notNull().references("crawl_runs.run_id"))
    .addColumn("data_as_of", "timestamptz", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    // pending | approved | applied | partial | stopped | undone
    .addColumn("status", "text", (c) => c.notNull().defaultTo("pending"))
    .addColumn("approved_at", "timestamptz")
    .addColumn("approved_by", "text")
    // manual | auto
    .addColumn("approval", "text")
    // no apply before this instant (the end of the users' warning period)
    .addColumn("warn_until", "timestamptz")
    // the policy config the plan was built with (rules, caps, exclusions)
    .addColumn("config", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // counts, caps and savings (PlanSummary, src/policy)
    .addColumn("summary", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("excluded", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("cut", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("idp_changes", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("workbook_path", "text")
    .addColumn("csv_path", "text")
    .addColumn("change_list_path", "text")
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("policy_plans_org_idx")
    .on("policy_plans")
    .columns(["org_id", "plan_id"])
    .execute();

  await db.schema
    .createTable("policy_actions")
    .addColumn("action_id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn("plan_id", "bigint", (c) =>
      c.notNull().references("policy_plans.plan_id").onDelete("cascade"),
    )
    .addColumn("org_id", "text", (c) => c.notNull())
    // order of application within the plan (most idle first)
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("email", "text")
    .addColumn("name", "text")
    // remove-product-access | suspend | deactivate
    .addColumn("kind", "text", (c) => c.notNull())
    // the seat's product (remove-product-access), or the products the user holds
    .addColumn("product_key", "text", (c) => c.notNull())
    .addColumn("resource_id", "text")
    .addColumn("rule", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    // last activity per product, days idle, how the seat is granted, directories
    .addColumn("detail", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // the API calls the action plans to make (method, path, body)
    .addColumn("calls", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("seats", "integer", (c) => c.notNull())
    .addColumn("saving_monthly", sql`numeric(14,2)`, (c) => c.notNull())
    // planned | dropped | in-progress | done | skipped | failed
    .addColumn("state", "text", (c) => c.notNull().defaultTo("planned"))
    // why it was dropped, skipped or failed (the API's answer), or a note on a done action
    .addColumn("outcome", "text")
    // the write was made but another grant still holds the seat
    .addColumn("still_held", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("applied_at", "timestamptz")
    // null | in-progress | undone | failed
    .addColumn("undo_state", "text")
    .addColumn("undo_outcome", "text")
    .addColumn("undone_at", "timestamptz")
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .addUniqueConstraint("policy_actions_plan_seq", ["plan_id", "seq"])
    .execute();
  await db.schema
    .createIndex("policy_actions_org_idx")
    .on("policy_actions")
    .columns(["org_id", "state", "applied_at"])
    .execute();

  await db.schema
    .createTable("policy_steps")
    .addColumn("step_id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn("action_id", "bigint", (c) =>
      c.notNull().references("policy_actions.action_id").onDelete("cascade"),
    )
    .addColumn("plan_id", "bigint", (c) => c.notNull())
    .addColumn("org_id", "text", (c) => c.notNull())
    // apply | undo
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    // identifies the write within the action, e.g. "remove-membership:<groupId>"
    .addColumn("step_key", "text", (c) => c.notNull())
    // remove-membership | add-membership | revoke-role | assign-role | suspend | restore | disable | enable
    .addColumn("op", "text", (c) => c.notNull())
    .addColumn("target", "jsonb", (c) => c.notNull())
    // pending | started | done | already | failed
    .addColumn("state", "text", (c) => c.notNull().defaultTo("pending"))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("error", "text")
    .addColumn("started_at", "timestamptz")
    .addColumn("finished_at", "timestamptz")
    .addUniqueConstraint("policy_steps_once", ["action_id", "phase", "step_key"])
    .execute();

  await db.schema
    .createTable("policy_audit")
    .addColumn("audit_id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn("at", "timestamptz", (c) => c.notNull())
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("plan_id", "bigint", (c) => c.notNull())
    .addColumn("action_id", "bigint", (c) => c.notNull())
    .addColumn("step_id", "bigint", (c) => c.notNull())
    // apply | undo
    .addColumn("phase", "text", (c) => c.notNull())
    // before | after
    .addColumn("moment", "text", (c) => c.notNull())
    // who made the write: the OS user or --by, or "auto"
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("rule", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("op", "text", (c) => c.notNull())
    // {method, path, body}: the API key is never part of it
    .addColumn("request", "jsonb", (c) => c.notNull())
    .addColumn("response_status", "integer")
    .addColumn("response_body", "jsonb")
    // the live state read before the write (before) or after it (after)
    .addColumn("state", "jsonb")
    // done | already | confirmed | failed (after rows)
    .addColumn("outcome", "text")
    .addColumn("error", "text")
    .execute();
  await db.schema
    .createIndex("policy_audit_plan_idx")
    .on("policy_audit")
    .columns(["plan_id", "audit_id"])
    .execute();

  await db.schema
    .createTable("policy_claims")
    .addColumn("org_id", "text", (c) => c.primaryKey())
    .addColumn("plan_id", "bigint", (c) => c.notNull())
    // a random token: only its holder may renew or release the claim
    .addColumn("token", "text", (c) => c.notNull())
    .addColumn("pid", "integer", (c) => c.notNull())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("claimed_at", "timestamptz", (c) => c.notNull())
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "policy_claims",
    "policy_audit",
    "policy_steps",
    "policy_actions",
    "policy_plans",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
