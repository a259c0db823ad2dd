/**
 * Table types for Kysely, declared once. Column comments live in the migrations.
 *
 * Value conventions (normalised for both backends in `connect.ts`): bigint and count(*)
 * come back as `number`, `date` columns as "YYYY-MM-DD" strings, timestamptz as `Date`,
 * jsonb as parsed JSON (write it with `json()` from `./json.ts`).
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";
import type { EmailTables } from "./tables/email.ts";
import type { ReportTables } from "./tables/reports.ts";
import type { ScheduleTables } from "./tables/schedule.ts";
import type { PolicyTables } from "./tables/policy.ts";

/** jsonb: read as T, written as a JSON string (node-postgres would turn arrays into PG arrays). */
export type Json<T> = ColumnType<T, string, string>;
/** A jsonb column with a database default. */
export type JsonWithDefault<T> = ColumnType<T, string | undefined, string>;
/** timestamptz: read as Date, written as Date or ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type TimestampWithDefault = ColumnType<Date, Date | string | undefined, Date | string>;
/** date: read and written as "YYYY-MM-DD". */
export type DateOnly = string;

/** `abandoned`: given up on purpose (never resumed, never reported). */
export type CrawlStatus = "running" | "succeeded" | "incomplete" | "failed" | "abandoned";

export interface OrgsTable {
  org_id: string;
  name: string | null;
  first_seen_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

export interface CrawlRunsTable {
  run_id: Generated<number>;
  org_id: string;
  strategy: string;
  status: ColumnType<CrawlStatus, CrawlStatus | undefined, CrawlStatus>;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
  finished_at: Timestamp | null;
  users_total: number | null;
  users_done: Generated<number>;
  users_failed: Generated<number>;
  checkpoint: JsonWithDefault<Record<string, unknown>>;
  summary: JsonWithDefault<Record<string, unknown>>;
  error: string | null;
}

export interface CrawlErrorsTable {
  run_id: number;
  account_id: string | null;
  endpoint: string;
  kind: string;
  message: string;
  occurred_at: Timestamp;
}

export interface DirectoriesTable {
  org_id: string;
  directory_id: string;
  name: string | null;
  last_seen_run_id: number | null;
}

export interface ProductsTable {
  org_id: string;
  product_key: string;
  resource_id: string;
  name: string | null;
  site_url: string | null;
  workspace_type: string | null;
  first_seen_run_id: number | null;
  last_seen_run_id: number | null;
}

export interface GroupsTable {
  org_id: string;
  group_id: string;
  directory_id: string | null;
  name: string;
  description: string | null;
  management_source: string | null;
  last_seen_run_id: number | null;
}

export interface GroupGrantsTable {
  org_id: string;
  group_id: string;
  resource_id: string;
  role: string;
  product_key: string | null;
}

export interface UserDirectRolesTable {
  org_id: string;
  account_id: string;
  resource_id: string;
  role: string;
  product_key: string | null;
  run_id: number;
}

export interface UsersTable {
  org_id: string;
  account_id: string;
  email: string | null;
  name: string | null;
  account_type: string | null;
  account_status: string | null;
  membership_status: string | null;
  status: string | null;
  claim_status: string | null;
  management_source: string | null;
  platform_roles: JsonWithDefault<string[]>;
  mfa_enabled: boolean | null;
  added_to_org: Timestamp | null;
  first_seen_run_id: number | null;
  last_seen_run_id: number | null;
  removed_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface UserGroupsTable {
  org_id: string;
  account_id: string;
  group_id: string;
}

export interface UserProductsTable {
  org_id: string;
  account_id: string;
  product_key: string;
  resource_id: string;
  last_active_at: Timestamp | null;
  last_active_date: DateOnly | null;
  /** bulk = v2 search productAccess, per-user = last-active-dates, grant = access via a group, never used */
  source: "bulk" | "per-user" | "grant";
  observed_at: Timestamp;
  run_id: number;
}

export interface UserVersionsTable {
  org_id: string;
  account_id: string;
  valid_from_run_id: number;
  valid_to_run_id: number | null;
  email: string | null;
  name: string | null;
  account_type: string | null;
  account_status: string | null;
  membership_status: string | null;
  status: string | null;
  claim_status: string | null;
  management_source: string | null;
  platform_roles: JsonWithDefault<string[]>;
  added_to_org: Timestamp | null;
  removed: Generated<boolean>;
}

export interface UserProductVersionsTable {
  org_id: string;
  account_id: string;
  product_key: string;
  resource_id: string;
  valid_from_run_id: number;
  valid_to_run_id: number | null;
  last_active_at: Timestamp | null;
  last_active_date: DateOnly | null;
  has_access: Generated<boolean>;
}

export interface GroupVersionsTable {
  org_id: string;
  group_id: string;
  valid_from_run_id: number;
  valid_to_run_id: number | null;
  directory_id: string | null;
  name: string;
  description: string | null;
  management_source: string | null;
}

export interface GroupGrantVersionsTable {
  org_id: string;
  group_id: string;
  resource_id: string;
  role: string;
  product_key: string | null;
  valid_from_run_id: number;
  valid_to_run_id: number | null;
}

export interface UserGroupVersionsTable {
  org_id: string;
  account_id: string;
  group_id: string;
  valid_from_run_id: number;
  valid_to_run_id: number | null;
}

/** Seat counts of one threshold; active + grace + dormant = seats. */
export interface ThresholdCounts {
  active: number;
  grace: number;
  dormant: number;
}

export interface ProductStatsTable {
  run_id: number;
  rules_key: string;
  product_key: string;
  resource_id: string;
  seats: number;
  never_active: number;
  /** Keyed by threshold days. */
  by_threshold: Json<Record<string, ThresholdCounts>>;
}

export interface CrawlUserChecksTable {
  run_id: number;
  account_id: string;
  /**
   * fill: last-active-dates needed; sample: cross-check; roles: direct role-assignments;
   * groups: the user's groups (the page did not carry them).
   */
  purpose: "fill" | "sample" | "roles" | "groups";
  state: ColumnType<"pending" | "done" | "failed", "pending" | "done" | "failed" | undefined>;
  detail: JsonWithDefault<Record<string, unknown>>;
}

/** Every table. Feature-owned tables are declared in ./tables/ and merged here. */
export interface Database extends ReportTables, EmailTables, ScheduleTables, PolicyTables {
  orgs: OrgsTable;
  crawl_runs: CrawlRunsTable;
  crawl_errors: CrawlErrorsTable;
  directories: DirectoriesTable;
  products: ProductsTable;
  groups: GroupsTable;
  group_grants: GroupGrantsTable;
  users: UsersTable;
  user_groups: UserGroupsTable;
  user_products: UserProductsTable;
  user_versions: UserVersionsTable;
  user_product_versions: UserProductVersionsTable;
  group_versions: GroupVersionsTable;
  group_grant_versions: GroupGrantVersionsTable;
  user_group_versions: UserGroupVersionsTable;
  product_stats: ProductStatsTable;
  crawl_user_checks: CrawlUserChecksTable;
  user_direct_roles: UserDirectRolesTable;
}

export type CrawlRun = Selectable<CrawlRunsTable>;
export type NewCrawlRun = Insertable<CrawlRunsTable>;
export type CrawlRunUpdate = Updateable<CrawlRunsTable>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserProduct = Selectable<UserProductsTable>;
export type NewUserProduct = Insertable<UserProductsTable>;
export type Product = Selectable<ProductsTable>;
export type Group = Selectable<GroupsTable>;
