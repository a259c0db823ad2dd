/**
 * History: versions of users, their per-product activity, groups, what groups grant and who
 * is in them, written when a crawl succeeds as *changes only* (valid from the run that saw a
 * new value until the run that saw the next one).
 *
 * State as of run R = versions with valid_from_run_id <= R and (valid_to_run_id is null or
 * valid_to_run_id > R). Reports read only this, so what a later crawl does to the current
 * tables never changes the report of an earlier one.
 */
import { sql, type Kysely, type RawBuilder, type Transaction } from "kysely";
import type { Database } from "../schema.ts";
import { runStatements, type Statement } from "../statement.ts";

type Db = Kysely<Database>;
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

/** One current-state table and its versions table. */
interface VersionedTable {
  versions: keyof Database;
  current: keyof Database;
  /** Identify a row (besides org_id). */
  keys: readonly string[];
  /** Compared to tell a change; `from` is an SQL expression over the current row `c`. */
  values: readonly { column: string; from?: string }[];
}

const VERSIONED_TABLES: readonly VersionedTable[] = [
  {
    versions: "user_versions",
    current: "users",
    keys: ["account_id"],
    values: [
      ...VERSIONED_USER_FIELDS.map((column) => ({ column })),
      { column: "removed", from: "c.removed_at is not null" },
    ],
  },
  {
    versions: "user_product_versions",
    current: "user_products",
    keys: ["account_id", "product_key", "resource_id"],
    values: [{ column: "last_active_at" }, { column: "last_active_date" }],
  },
  {
    versions: "group_versions",
    current: "groups",
    keys: ["group_id"],
    values: [
      { column: "directory_id" },
      { column: "name" },
      { column: "description" },
      { column: "management_source" },
    ],
  },
  {
    versions: "group_grant_versions",
    current: "group_grants",
    keys: ["group_id", "resource_id", "role"],
    values: [{ column: "product_key" }],
  },
  {
    versions: "user_group_versions",
    current: "user_groups",
    keys: ["account_id", "group_id"],
    values: [],
  },
];

/**
 * Records what changed in run `runId`: closes the open versions that no longer match the
 * current rows and opens versions for new values. Idempotent per run: versions the same run
 * wrote before (a resumed run finalising again) are replaced, not duplicated.
 */
export async function recordVersions(trx: Trx, orgId: string, runId: number): Promise<void> {
  await runStatements(trx, versionStatements(trx, orgId, runId));
}

/** The statements of recordVersions, in order (finalise runs them in its transaction). */
export function versionStatements(db: Db, orgId: string, runId: number): Statement[] {
  return VERSIONED_TABLES.flatMap((table) => [
    ...forgetRun(db, table, orgId, runId),
    ...recordTable(db, table, orgId, runId),
  ]);
}

function forgetRun(db: Db, t: VersionedTable, orgId: string, runId: number): Statement[] {
  const versions = sql.table(t.versions);
  return [
    {
      what: `${t.versions}: forget versions this run opened before`,
      query:
        sql`delete from ${versions} where org_id = ${orgId} and valid_from_run_id = ${runId}`.compile(
          db,
        ),
    },
    {
      what: `${t.versions}: reopen versions this run closed before`,
      query: sql`update ${versions} set valid_to_run_id = null
        where org_id = ${orgId} and valid_to_run_id = ${runId}`.compile(db),
    },
  ];
}

function recordTable(db: Db, t: VersionedTable, orgId: string, runId: number): Statement[] {
  const versions = sql.table(t.versions);
  const current = sql.table(t.current);
  const sameKey = sql.join(
    t.keys.map((k) => sql`v.${sql.ref(k)} = c.${sql.ref(k)}`),
    sql` and `,
  );
  const source = (v: { column: string; from?: string }): RawBuilder<unknown> =>
    v.from !== undefined ? sql`(${sql.raw(v.from)})` : sql`c.${sql.ref(v.column)}`;
  const sameValues =
    t.values.length === 0
      ? sql`true`
      : sql.join(
          t.values.map((v) => sql`v.${sql.ref(v.column)} is not distinct from ${source(v)}`),
          sql` and `,
        );
  const columns = sql.join([...t.keys, ...t.values.map((v) => v.column)].map((c) => sql.ref(c)));
  const selected = sql.join([...t.keys.map((k) => sql`c.${sql.ref(k)}`), ...t.values.map(source)]);
  return [
    {
      what: `${t.versions}: close versions that changed`,
      query: sql`update ${versions} v set valid_to_run_id = ${runId}
        where v.org_id = ${orgId} and v.valid_to_run_id is null
          and not exists (select 1 from ${current} c
            where c.org_id = v.org_id and ${sameKey} and ${sameValues})`.compile(db),
    },
    {
      what: `${t.versions}: open versions of new values`,
      query: sql`insert into ${versions} (org_id, ${columns}, valid_from_run_id, valid_to_run_id)
        select c.org_id, ${selected}, ${runId}, null
        from ${current} c
        where c.org_id = ${orgId} and not exists (select 1 from ${versions} v
          where v.org_id = c.org_id and ${sameKey} and v.valid_to_run_id is null)`.compile(db),
    },
  ];
}

/** Versions valid at run R, as a WHERE condition over the versions table (unaliased). */
export function validAt(runId: number): RawBuilder<boolean> {
  return sql<boolean>`valid_from_run_id <= ${runId} and (valid_to_run_id is null or valid_to_run_id > ${runId})`;
}
