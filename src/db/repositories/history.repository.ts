/**
 * History: versions of users and of their per-product activity, written at the end of each
 * run as *changes only* (valid from the run that saw a new value until the run that saw the
 * next one), and per-run aggregates per product for trend charts.
 *
 * State as of run R = versions with valid_from_run_id <= R and (valid_to_run_id is null or
 * valid_to_run_id > R).
 */
import { sql, type Transaction } from "kysely";
import type { Database } from "../schema.ts";

type Trx = Transaction<Database>;

/** User attributes kept as versions; a past report reads exactly these. */
export const VERSIONED_USER_FIELDS = [
  "email",
  "name",
  "account_type",
  "account_status",
  "membership_status",
  "status",
  "claim_status",
  "management_source",
  "platform_roles",
  "added_to_org",
] as const;

/** Closes the open versions that no longer match the current rows and opens new ones. */
export async function recordVersions(trx: Trx, orgId: string, runId: number): Promise<void> {
  const cols = sql.join(VERSIONED_USER_FIELDS.map((f) => sql.ref(`v.${f}`)));
  const current = sql.join(VERSIONED_USER_FIELDS.map((f) => sql.ref(`u.${f}`)));
  await sql`
    update user_versions v set valid_to_run_id = ${runId}
    from users u
    where v.org_id = ${orgId} and u.org_id = v.org_id and u.account_id = v.account_id
      and v.valid_to_run_id is null and v.valid_from_run_id <> ${runId}
      and ((${cols}, v.removed) is distinct from (${current}, u.removed_at is not null))`.execute(
    trx,
  );
  await sql`
    insert into user_versions (org_id, account_id, valid_from_run_id, valid_to_run_id,
      ${sql.join(VERSIONED_USER_FIELDS.map((f) => sql.ref(f)))}, removed)
    select u.org_id, u.account_id, ${runId}, null, ${current}, u.removed_at is not null
    from users u
    where u.org_id = ${orgId} and not exists (
      select 1 from user_versions v
      where v.org_id = u.org_id and v.account_id = u.account_id and v.valid_to_run_id is null)
    on conflict do nothing`.execute(trx);

  // Activity: close versions whose row changed or disappeared, then open versions for new values.
  await sql`
    update user_product_versions v set valid_to_run_id = ${runId}
    where v.org_id = ${orgId} and v.valid_to_run_id is null and v.valid_from_run_id <> ${runId}
      and not exists (
        select 1 from user_products p
        where p.org_id = v.org_id and p.account_id = v.account_id
          and p.product_key = v.product_key and p.resource_id = v.resource_id
          and p.last_active_at is not distinct from v.last_active_at
          and p.last_active_date is not distinct from v.last_active_date)`.execute(trx);
  await sql`
    insert into user_product_versions (org_id, account_id, product_key, resource_id,
      valid_from_run_id, valid_to_run_id, last_active_at, last_active_date)
    select p.org_id, p.account_id, p.product_key, p.resource_id, ${runId}, null,
           p.last_active_at, p.last_active_date
    from user_products p
    where p.org_id = ${orgId} and not exists (
      select 1 from user_product_versions v
      where v.org_id = p.org_id and v.account_id = p.account_id
        and v.product_key = p.product_key and v.resource_id = p.resource_id
        and v.valid_to_run_id is null)
    on conflict do nothing`.execute(trx);
}

/**
 * Per-product aggregates for this run: billable seats (active members, atlassian accounts,
 * not removed) and how many were active within 30/60/90/180 days of `asOf`.
 */
export async function recordProductStats(
  trx: Trx,
  orgId: string,
  runId: number,
  asOf: Date,
): Promise<void> {
  await trx.deleteFrom("crawl_product_stats").where("run_id", "=", runId).execute();
  const within = (days: number) =>
    sql<number>`count(*) filter (where p.last_active_at >= ${asOf}::timestamptz - make_interval(days => ${days}))::int`;
  await sql`
    insert into crawl_product_stats (run_id, product_key, resource_id, seats,
      active_30, active_60, active_90, active_180, never_active)
    select ${runId}, p.product_key, p.resource_id, count(*)::int,
      ${within(30)}, ${within(60)}, ${within(90)}, ${within(180)},
      (count(*) filter (where p.last_active_at is null))::int
    from user_products p
    join users u on u.org_id = p.org_id and u.account_id = p.account_id
    where p.org_id = ${orgId} and u.removed_at is null
      and u.membership_status = 'active' and u.account_type = 'atlassian'
    group by p.product_key, p.resource_id`.execute(trx);
}
