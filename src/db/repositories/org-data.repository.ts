/**
 * The crawled picture of an org: directories, products, groups and what they grant, users,
 * their groups and their per-product activity. Writes are batched upserts; every function
 * takes the database (or a transaction) first.
 */
import { sql, type Kysely, type RawBuilder, type Transaction } from "kysely";
import { json } from "../json.ts";
import type { Database, NewUser, NewUserProduct } from "../schema.ts";
import type { Statement } from "../statement.ts";

type Db = Kysely<Database>;

export async function upsertDirectories(
  db: Db,
  orgId: string,
  runId: number,
  directories: { directoryId: string; name: string | null }[],
): Promise<void> {
  if (directories.length === 0) return;
  await db
    .insertInto("directories")
    .values(
      directories.map((d) => ({
        org_id: orgId,
        directory_id: d.directoryId,
        name: d.name,
        last_seen_run_id: runId,
      })),
    )
    .onConflict((oc) =>
      oc.columns(["org_id", "directory_id"]).doUpdateSet((eb) => ({
        name: eb.ref("excluded.name"),
        last_seen_run_id: eb.ref("excluded.last_seen_run_id"),
      })),
    )
    .execute();
}

export interface ProductInput {
  productKey: string;
  resourceId: string;
  name: string | null;
  siteUrl: string | null;
  workspaceType: string | null;
}

export async function upsertProducts(
  db: Db,
  orgId: string,
  runId: number,
  products: ProductInput[],
): Promise<void> {
  if (products.length === 0) return;
  await db
    .insertInto("products")
    .values(
      products.map((p) => ({
        org_id: orgId,
        product_key: p.productKey,
        resource_id: p.resourceId,
        name: p.name,
        site_url: p.siteUrl,
        workspace_type: p.workspaceType,
        first_seen_run_id: runId,
        last_seen_run_id: runId,
      })),
    )
    .onConflict((oc) =>
      oc.columns(["org_id", "product_key", "resource_id"]).doUpdateSet((eb) => ({
        name: eb.fn.coalesce("excluded.name", "products.name"),
        site_url: eb.fn.coalesce("excluded.site_url", "products.site_url"),
        workspace_type: eb.fn.coalesce("excluded.workspace_type", "products.workspace_type"),
        last_seen_run_id: eb.ref("excluded.last_seen_run_id"),
      })),
    )
    .execute();
}

export interface GroupInput {
  groupId: string;
  directoryId: string | null;
  name: string;
  description: string | null;
  managementSource: string | null;
  grants: { resourceId: string; role: string; productKey: string | null }[];
}

/** Upserts the groups and replaces what each grants, in one transaction. */
export async function saveGroups(
  db: Db,
  orgId: string,
  runId: number,
  groups: GroupInput[],
): Promise<void> {
  if (groups.length === 0) return;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto("groups")
      .values(
        groups.map((g) => ({
          org_id: orgId,
          group_id: g.groupId,
          directory_id: g.directoryId,
          name: g.name,
          description: g.description,
          management_source: g.managementSource,
          last_seen_run_id: runId,
        })),
      )
      .onConflict((oc) =>
        oc.columns(["org_id", "group_id"]).doUpdateSet((eb) => ({
          directory_id: eb.ref("excluded.directory_id"),
          name: eb.ref("excluded.name"),
          description: eb.ref("excluded.description"),
          management_source: eb.ref("excluded.management_source"),
          last_seen_run_id: eb.ref("excluded.last_seen_run_id"),
        })),
      )
      .execute();
    const ids = groups.map((g) => g.groupId);
    await trx
      .deleteFrom("group_grants")
      .where("org_id", "=", orgId)
      .where("group_id", "in", ids)
      .execute();
    const grants = groups.flatMap((g) =>
      uniqueBy(g.grants, (x) => `${x.resourceId}\u0000${x.role}`).map((x) => ({
        org_id: orgId,
        group_id: g.groupId,
        resource_id: x.resourceId,
        role: x.role,
        product_key: x.productKey,
      })),
    );
    for (const chunk of chunks(grants, 1000)) {
      await trx.insertInto("group_grants").values(chunk).execute();
    }
  });
}

/** Groups that a complete crawl no longer found are deleted (with their grants and memberships). */
export function groupsNotSeenStatements(db: Db, orgId: string, runId: number): Statement[] {
  return [
    {
      what: "end memberships of groups not seen",
      query: db
        .deleteFrom("user_groups")
        .where("org_id", "=", orgId)
        .where("group_id", "in", (eb) =>
          eb
            .selectFrom("groups")
            .select("group_id")
            .where("org_id", "=", orgId)
            .where("last_seen_run_id", "<>", runId),
        )
        .compile(),
    },
    {
      what: "delete groups not seen",
      query: db
        .deleteFrom("groups")
        .where("org_id", "=", orgId)
        .where("last_seen_run_id", "<>", runId)
        .compile(),
    },
  ];
}

export interface UserInput {
  accountId: string;
  email: string | null;
  name: string | null;
  accountType: string | null;
  accountStatus: string | null;
  membershipStatus: string | null;
  status: string | null;
  claimStatus: string | null;
  managementSource: string | null;
  platformRoles: string[];
  mfaEnabled: boolean | null;
  addedToOrg: Date | null;
  /** Group ids, when the page carried them (expand=groups); undefined leaves memberships as they are. */
  groupIds: string[] | undefined;
  /** Activity from the page (bulk), or undefined when the page had none for this user. */
  products: ActivityInput[] | undefined;
}

export interface ActivityInput {
  productKey: string;
  resourceId: string;
  lastActiveAt: Date | null;
  lastActiveDate: string | null;
}

/** The `users` row of a user a run saw (`runId`) at `at`. */
export function userRow(orgId: string, runId: number, at: Date, u: UserInput): NewUser {
  return {
    org_id: orgId,
    account_id: u.accountId,
    email: u.email,
    name: u.name,
    account_type: u.accountType,
    account_status: u.accountStatus,
    membership_status: u.membershipStatus,
    status: u.status,
    claim_status: u.claimStatus,
    management_source: u.managementSource,
    platform_roles: json(u.platformRoles),
    mfa_enabled: u.mfaEnabled,
    added_to_org: u.addedToOrg,
    first_seen_run_id: runId,
    last_seen_run_id: runId,
    removed_at: null,
    updated_at: at,
  };
}

/** The `user_products` row of one product's activity, as run `runId` read it at `at`. */
export function activityRow(
  orgId: string,
  runId: number,
  at: Date,
  source: NewUserProduct["source"],
  accountId: string,
  p: ActivityInput,
): NewUserProduct {
  return {
    org_id: orgId,
    account_id: accountId,
    product_key: p.productKey,
    resource_id: p.resourceId,
    last_active_at: p.lastActiveAt,
    last_active_date: p.lastActiveDate,
    source,
    observed_at: at,
    run_id: runId,
  };
}

/**
 * Saves one page of users: the users, their group memberships and (where the page carried
 * it) their per-product activity, replacing what an earlier run stored for them.
 */
export async function saveUserPage(
  trx: Transaction<Database>,
  orgId: string,
  runId: number,
  at: Date,
  users: UserInput[],
): Promise<void> {
  if (users.length === 0) return;
  const unique = uniqueBy(users, (u) => u.accountId);
  const written = await trx
    .insertInto("users")
    .values(unique.map((u) => userRow(orgId, runId, at, u)))
    .onConflict((oc) =>
      oc.columns(["org_id", "account_id"]).doUpdateSet((eb) => ({
        email: eb.ref("excluded.email"),
        name: eb.ref("excluded.name"),
        account_type: eb.ref("excluded.account_type"),
        account_status: eb.ref("excluded.account_status"),
        membership_status: eb.ref("excluded.membership_status"),
        status: eb.ref("excluded.status"),
        claim_status: eb.ref("excluded.claim_status"),
        management_source: eb.ref("excluded.management_source"),
        platform_roles: eb.ref("excluded.platform_roles"),
        mfa_enabled: eb.ref("excluded.mfa_enabled"),
        added_to_org: eb.fn.coalesce("excluded.added_to_org", "users.added_to_org"),
        last_seen_run_id: eb.ref("excluded.last_seen_run_id"),
        removed_at: null,
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    // xmax = 0: the row was inserted, not updated (a user new to the store)
    .returning(["account_id", sql<boolean>`xmax = 0`.as("inserted")])
    .execute();
  // Memberships and activity reference the user row: a user just inserted has none stored.
  const newUsers = new Set(written.filter((w) => w.inserted).map((w) => w.account_id));

  await replaceGroupsOf(
    trx,
    orgId,
    unique.flatMap((u) =>
      u.groupIds === undefined ? [] : [{ accountId: u.accountId, groupIds: u.groupIds }],
    ),
    newUsers,
  );

  const withActivity = unique.filter((u) => u.products !== undefined);
  await replaceActivity(
    trx,
    orgId,
    runId,
    at,
    "bulk",
    withActivity.map((u) => ({ accountId: u.accountId, products: u.products ?? [] })),
    newUsers,
  );
}

/**
 * Replaces the activity of the given users with what was just read, changing only what
 * differs: what is stored for them is read first, then rows the read no longer confirms are
 * deleted, and only new or changed rows are written (a row whose activity and source are
 * the same is not touched). Never-used seats ("grant" rows) are finalise's to add and drop
 * (neverUsedGrantsStatements). An unchanged org costs one read per page, no writes.
 * `run_id`/`observed_at` say which run last changed a row and when.
 */
export async function replaceActivity(
  trx: Transaction<Database>,
  orgId: string,
  runId: number,
  at: Date,
  source: "bulk" | "per-user",
  users: { accountId: string; products: ActivityInput[] }[],
  /** Users known to have nothing stored (just inserted): not read back. */
  newUsers: ReadonlySet<string> = new Set(),
): Promise<void> {
  if (users.length === 0) return;
  const key = (a: string, k: string, r: string) => `${a}\u0000${k}\u0000${r}`;
  const toRead = users.map((u) => u.accountId).filter((a) => !newUsers.has(a));
  const stored = new Map(
    (toRead.length === 0
      ? []
      : await trx
          .selectFrom("user_products")
          .select([
            "account_id",
            "product_key",
            "resource_id",
            "last_active_at",
            "last_active_date",
            "source",
          ])
          .where("org_id", "=", orgId)
          .where("account_id", "=", anyText(toRead))
          .execute()
    ).map((row) => [key(row.account_id, row.product_key, row.resource_id), row]),
  );
  const changed: NewUserProduct[] = [];
  const seen = new Set<string>();
  for (const u of users) {
    for (const p of u.products) {
      const k = key(u.accountId, p.productKey, p.resourceId);
      if (seen.has(k)) continue;
      seen.add(k);
      const before = stored.get(k);
      const same =
        before !== undefined &&
        before.source === source &&
        (before.last_active_at?.getTime() ?? null) === (p.lastActiveAt?.getTime() ?? null) &&
        before.last_active_date === p.lastActiveDate;
      if (same) continue;
      changed.push(activityRow(orgId, runId, at, source, u.accountId, p));
    }
  }
  const gone = [...stored.entries()].filter(([k, row]) => row.source !== "grant" && !seen.has(k));
  if (gone.length > 0) {
    await sql`
      delete from user_products p
      using unnest(${gone.map(([, r]) => r.account_id)}::text[],
                   ${gone.map(([, r]) => r.product_key)}::text[],
                   ${gone.map(([, r]) => r.resource_id)}::text[]) as g (a, k, r)
      where p.org_id = ${orgId} and p.account_id = g.a and p.product_key = g.k
        and p.resource_id = g.r`.execute(trx);
  }
  for (const chunk of chunks(changed, 2000)) {
    await trx
      .insertInto("user_products")
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(["org_id", "account_id", "product_key", "resource_id"]).doUpdateSet((eb) => ({
          last_active_at: eb.ref("excluded.last_active_at"),
          last_active_date: eb.ref("excluded.last_active_date"),
          source: eb.ref("excluded.source"),
          observed_at: eb.ref("excluded.observed_at"),
          run_id: eb.ref("excluded.run_id"),
        })),
      )
      .execute();
  }
}

/**
 * Replaces the group memberships of the given users with the ones just read, changing only
 * what differs: what is stored is read first, memberships that ended are deleted and new
 * ones inserted; an unchanged user costs no write.
 */
export async function replaceGroupsOf(
  trx: Transaction<Database>,
  orgId: string,
  users: { accountId: string; groupIds: string[] }[],
  /** Users known to have nothing stored (just inserted): not read back. */
  newUsers: ReadonlySet<string> = new Set(),
): Promise<void> {
  if (users.length === 0) return;
  const key = (a: string, g: string) => `${a}\u0000${g}`;
  const toRead = users.map((u) => u.accountId).filter((a) => !newUsers.has(a));
  const stored = new Map(
    (toRead.length === 0
      ? []
      : await trx
          .selectFrom("user_groups")
          .select(["account_id", "group_id"])
          .where("org_id", "=", orgId)
          .where("account_id", "=", anyText(toRead))
          .execute()
    ).map((row) => [key(row.account_id, row.group_id), row]),
  );
  const wanted = new Set<string>();
  const added: { org_id: string; account_id: string; group_id: string }[] = [];
  for (const u of users) {
    for (const groupId of u.groupIds) {
      const k = key(u.accountId, groupId);
      if (wanted.has(k)) continue;
      wanted.add(k);
      if (!stored.has(k)) added.push({ org_id: orgId, account_id: u.accountId, group_id: groupId });
    }
  }
  const ended = [...stored].filter(([k]) => !wanted.has(k)).map(([, row]) => row);
  if (ended.length > 0) {
    await sql`
      delete from user_groups ug
      using unnest(${ended.map((e) => e.account_id)}::text[],
                   ${ended.map((e) => e.group_id)}::text[]) as e (a, g)
      where ug.org_id = ${orgId} and ug.account_id = e.a and ug.group_id = e.g`.execute(trx);
  }
  for (const chunk of chunks(added, 2000)) {
    await trx
      .insertInto("user_groups")
      .values(chunk)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/** `= any($1::text[])`: one parameter for a list of any length. */
function anyText(values: string[]): RawBuilder<string> {
  return sql<string>`any(${values}::text[])`;
}

/**
 * Users who left the org while the run read them (a per-user read answered "no such user"):
 * no longer seen by this run, so a complete run marks them removed.
 */
export async function markGone(
  trx: Transaction<Database>,
  orgId: string,
  accountIds: string[],
): Promise<void> {
  if (accountIds.length === 0) return;
  await trx
    .updateTable("users")
    .set({ last_seen_run_id: null })
    .where("org_id", "=", orgId)
    .where("account_id", "in", accountIds)
    .execute();
}

/** The stored activity of some users (for cross-checking two sources). */
export async function activityOf(db: Db, orgId: string, accountIds: string[]) {
  if (accountIds.length === 0) return [];
  return db
    .selectFrom("user_products")
    .select(["account_id", "product_key", "resource_id", "last_active_date", "source"])
    .where("org_id", "=", orgId)
    .where("account_id", "in", accountIds)
    .execute();
}

/** The resources each group grants a role on, to tell group seats from direct ones. */
export async function resourcesByGroup(db: Db, orgId: string): Promise<Map<string, Set<string>>> {
  const rows = await db
    .selectFrom("group_grants")
    .select(["group_id", "resource_id"])
    .where("org_id", "=", orgId)
    .execute();
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = out.get(r.group_id) ?? new Set<string>();
    set.add(r.resource_id);
    out.set(r.group_id, set);
  }
  return out;
}

export interface DirectRolesInput {
  accountId: string;
  roles: { resourceId: string; productKey: string | null; role: string }[];
}

/** Stores what this run read of each user's direct roles, replacing earlier reads. */
export async function replaceDirectRoles(
  trx: Transaction<Database>,
  orgId: string,
  runId: number,
  users: DirectRolesInput[],
): Promise<void> {
  if (users.length === 0) return;
  await trx
    .deleteFrom("user_direct_roles")
    .where("org_id", "=", orgId)
    .where(
      "account_id",
      "in",
      users.map((u) => u.accountId),
    )
    .execute();
  const rows = users.flatMap((u) =>
    u.roles.map((r) => ({
      org_id: orgId,
      account_id: u.accountId,
      resource_id: r.resourceId,
      role: r.role,
      product_key: r.productKey,
      run_id: runId,
    })),
  );
  if (rows.length > 0) {
    await trx
      .insertInto("user_direct_roles")
      .values(rows)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/**
 * Seats granted by a group or held directly but never used get a row with no activity
 * ("never active"), except for users whose activity read failed in this run: a failed read
 * is no evidence.
 */
export function neverUsedGrantsStatements(
  db: Db,
  orgId: string,
  runId: number,
  at: Date,
): Statement[] {
  // Seats come through a group, or directly (roles read in this run), of users this run saw.
  const granted = sql`
    select g.account_id, g.product_key, g.resource_id
    from (
      select ug.org_id, ug.account_id, gg.product_key, gg.resource_id
      from user_groups ug
      join group_grants gg on gg.org_id = ug.org_id and gg.group_id = ug.group_id
      where ug.org_id = ${orgId}
      union all
      select r.org_id, r.account_id, r.product_key, r.resource_id
      from user_direct_roles r
      where r.org_id = ${orgId} and r.run_id = ${runId}
    ) g
    join users u on u.org_id = g.org_id and u.account_id = g.account_id
    where g.product_key is not null
      and u.removed_at is null and u.last_seen_run_id = ${runId}`;
  // Users whose reads failed in this run keep their earlier data as it was.
  const readFailed = (account: RawBuilder<unknown>, purposes: RawBuilder<unknown>) => sql`
    exists (select 1 from crawl_user_checks c
      where c.run_id = ${runId} and c.account_id = ${account} and c.state <> 'done'
        and c.purpose in (${purposes}))`;
  // New never-used seats get a row; a seat that already has one (or activity) is left as it is.
  // The seats that have a row are taken out first (an anti-join): most have one, and leaving
  // them to `on conflict` made the insert sort and probe every one (100k users: 4.9 s → 1.6 s).
  const insert = sql`
    insert into user_products
      (org_id, account_id, product_key, resource_id, last_active_at, last_active_date,
       source, observed_at, run_id)
    select distinct ${orgId}, g.account_id, g.product_key, g.resource_id, null::timestamptz,
           null::date, 'grant', ${at}::timestamptz, ${runId}::bigint
    from (${granted}) g
    where not exists (select 1 from user_products p
        where p.org_id = ${orgId} and p.account_id = g.account_id
          and p.product_key = g.product_key and p.resource_id = g.resource_id)
      and not ${readFailed(sql.ref("g.account_id"), sql`'fill'`)}
    on conflict (org_id, account_id, product_key, resource_id) do nothing`;
  // A grant row whose grant is gone is not evidence of anything: dropped. Grant rows still
  // granted are not touched (an unchanged org rewrites none of them).
  const dropStale = sql`
    delete from user_products p
    where p.org_id = ${orgId} and p.source = 'grant'
      and not exists (select 1 from (${granted}) g
        where g.account_id = p.account_id and g.product_key = p.product_key
          and g.resource_id = p.resource_id)
      and not ${readFailed(sql.ref("p.account_id"), sql`'fill', 'roles'`)}`;
  return [
    { what: "add never-used grants", query: insert.compile(db) },
    { what: "drop grant rows of grants gone", query: dropStale.compile(db) },
  ];
}

/** After a complete run: direct roles not read again by it are no longer evidence. */
export function directRolesNotReadStatements(db: Db, orgId: string, runId: number): Statement[] {
  return [
    {
      what: "delete direct roles not read",
      query: db
        .deleteFrom("user_direct_roles")
        .where("org_id", "=", orgId)
        .where("run_id", "<>", runId)
        .compile(),
    },
  ];
}

/**
 * After a complete run: users it did not see have left the org. They are kept (with their
 * last activity, for the record), marked removed, and their group memberships end. The first
 * statement's affected rows are the users newly marked removed.
 */
export function usersNotSeenStatements(
  db: Db,
  orgId: string,
  runId: number,
  at: Date,
): Statement[] {
  return [
    {
      what: "mark users not seen removed",
      query: db
        .updateTable("users")
        .set({ removed_at: at, updated_at: at })
        .where("org_id", "=", orgId)
        .where("removed_at", "is", null)
        .where((eb) =>
          eb.or([eb("last_seen_run_id", "is", null), eb("last_seen_run_id", "<>", runId)]),
        )
        .compile(),
    },
    {
      what: "end memberships of removed users",
      query: db
        .deleteFrom("user_groups")
        .where("org_id", "=", orgId)
        .where("account_id", "in", (eb) =>
          eb
            .selectFrom("users")
            .select("account_id")
            .where("org_id", "=", orgId)
            .where("removed_at", "is not", null),
        )
        .compile(),
    },
  ];
}

/** Accounts seen by this run, in account order after `after` (keyset batches). */
export async function accountsSeenInRun(
  db: Db,
  orgId: string,
  runId: number,
  after: string | null,
  limit: number,
): Promise<string[]> {
  let q = db
    .selectFrom("users")
    .select("account_id")
    .where("org_id", "=", orgId)
    .where("last_seen_run_id", "=", runId);
  if (after !== null) q = q.where("account_id", ">", after);
  const rows = await q.orderBy("account_id").limit(limit).execute();
  return rows.map((r) => r.account_id);
}

export async function countUsersSeenInRun(db: Db, orgId: string, runId: number) {
  const row = await db
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("org_id", "=", orgId)
    .where("last_seen_run_id", "=", runId)
    .executeTakeFirstOrThrow();
  return row.n;
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) seen.set(key(item), item);
  return [...seen.values()];
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Every table the finalise statements read. Their statistics are refreshed right before
 * those statements: on a first crawl the planner has none (it guessed a handful of rows and
 * chose nested loops that rescan a table per row: 32 s at 5k users), and on a re-crawl they
 * describe the previous run (no user has this run's id yet), which misleads it the same way.
 */
const FINALISE_READS = [
  "users",
  "user_groups",
  "groups",
  "group_grants",
  "user_direct_roles",
  "user_products",
  "crawl_user_checks",
  "user_versions",
  "user_product_versions",
  "group_versions",
  "group_grant_versions",
  "user_group_versions",
] as const;

/** What the reports read after a crawl, finalise having just changed them. */
const REPORT_READS = [
  "users",
  "user_products",
  "user_groups",
  "user_versions",
  "user_product_versions",
  "group_versions",
  "group_grant_versions",
  "user_group_versions",
] as const;

/**
 * Refreshes the planner's statistics of the tables the finalise statements read, so each one
 * gets a plan for the data it runs on. Sample-based (at most 30,000 rows a table), so it
 * costs about the same for any org size.
 */
export async function refreshStatisticsForFinalise(db: Db): Promise<void> {
  await analyze(db, FINALISE_READS);
}

/**
 * Refreshes the planner's statistics of the tables a crawl fills, so the report queries that
 * usually run right after a large crawl get index plans instead of guesses from an empty
 * table. Sample-based: well under a second even for a 100k-user org.
 */
export async function refreshPlannerStatistics(db: Db): Promise<void> {
  await analyze(db, REPORT_READS);
}

async function analyze(db: Db, tables: readonly (keyof Database)[]): Promise<void> {
  await sql`analyze ${sql.join(tables.map((t) => sql.table(t)))}`.execute(db);
}
