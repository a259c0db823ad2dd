import type { Faults } from "./faults.ts";
import type { SimUser } from "./model.ts";
import type { OrgState } from "./org-state.ts";

/** Optional expansions of v2 user search (`expand`). */
export type UserExpand = "platformRoles" | "counts.resources" | "productAccess" | "groups";

/** Copies the optional string profile fields that are set (the spec types them as non-null strings). */
function profile(u: SimUser): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ["jobTitle", "department", "organization", "location", "timeZone"] as const) {
    const v = u[key];
    if (v !== null) out[key] = v;
  }
  return out;
}

function common(
  state: OrgState,
  u: SimUser,
  scope: string,
  ts: (iso: string) => string,
): Record<string, unknown> {
  return {
    accountId: u.accountId,
    accountType: u.accountType,
    status: state.status(u, scope),
    accountStatus: u.accountStatus,
    membershipStatus: state.membershipStatus(u, scope),
    addedToOrg: ts(u.addedToOrg),
    name: u.name,
    nickname: u.nickname,
    email: u.email,
    emailVerified: u.emailVerified,
    claimStatus: u.claimStatus,
    picture: u.picture,
    avatar: u.picture,
    managementSource: u.managementSource,
    mfaEnabled: u.mfaEnabled,
    ...profile(u),
  };
}

/** Drops the fields the `omitUserFields` fault names for this account. */
function omit(out: Record<string, unknown>, u: SimUser, faults: Faults): Record<string, unknown> {
  for (const f of faults.omittedFields(u.accountId)) delete out[f];
  return out;
}

/** A `MultiDirectoryUser` (v2 search/list item). `productAccess` is the same ground truth as
 * last-active-dates: one entry per visible {@link SimUser.activity} item, nanosecond timestamp
 * verbatim. Data faults (missing timestamps, groups, fields; null group names; lowercase
 * timestamps) apply here. */
export function v2User(
  state: OrgState,
  u: SimUser,
  scope: string,
  expand: ReadonlySet<string>,
  faults: Faults,
): Record<string, unknown> {
  const ts = faults.timestamps(u.accountId);
  const out = common(state, u, scope, ts);
  if (expand.has("platformRoles")) out.platformRoles = [...u.platformRoles];
  if (expand.has("counts.resources")) out.counts = { resources: state.resources(u).size };
  if (expand.has("productAccess")) {
    out.productAccess = state.visibleActivity(u).map((a) => ({
      key: state.workspace(a.workspaceId)?.v2Key ?? "unknown",
      id: a.workspaceId,
      ...(faults.dropsLastActive(u.accountId, a.workspaceId)
        ? {}
        : { lastActiveTimestamp: ts(a.lastActiveAt) }),
    }));
  }
  if (expand.has("groups") && !faults.dropsGroups(u.accountId)) {
    out.groups = u.groupIds.flatMap((gid) => {
      const g = state.group(gid);
      if (!g || (scope !== "-" && g.directoryId !== scope)) return [];
      const nulled = faults.nullsGroupName(g.id);
      return [
        {
          id: `ari:cloud:identity::group/${g.id}`,
          name: nulled ? null : g.name,
          description: nulled ? null : g.description,
        },
      ];
    });
  }
  out.links = { self: Buffer.from(`user:${u.accountId}`).toString("base64url") };
  return omit(out, u, faults);
}

/** `MultiDirectoryUserDetailsData`: v2 fields plus `deactivatedOn`, platform roles and counts. */
export function v2UserDetails(
  state: OrgState,
  u: SimUser,
  scope: string,
  faults: Faults,
): Record<string, unknown> {
  const ts = faults.timestamps(u.accountId);
  const out = common(state, u, scope, ts);
  if (u.deactivatedOn) out.deactivatedOn = ts(u.deactivatedOn);
  out.platformRoles = [...u.platformRoles];
  out.counts = { resources: state.resources(u).size };
  return omit(out, u, faults);
}

/** Whether the account is billable: a person with an active membership and an active account. */
export function isBillable(state: OrgState, u: SimUser): boolean {
  return (
    u.accountType === "atlassian" &&
    u.accountStatus === "active" &&
    state.membershipStatus(u, "-") === "active"
  );
}

/** v1 `/users` item (snake_case). `last_active` values use ms precision (format date-time). */
export function v1User(
  state: OrgState,
  u: SimUser,
  baseUrl: string,
  orgId: string,
  faults: Faults,
): Record<string, unknown> {
  const ts = faults.timestamps(u.accountId);
  const ms = (iso: string) => ts(new Date(Date.parse(iso)).toISOString());
  const activity = state.visibleActivity(u);
  const products = activity.map((a) => {
    const ws = state.workspace(a.workspaceId);
    return {
      key: ws?.key ?? "jira-software",
      name: ws?.productName ?? "Unknown",
      url: ws?.hostUrl ?? "",
      last_active: ms(a.lastActiveAt),
    };
  });
  const latest = activity
    .map((a) => a.lastActiveAt)
    .sort()
    .at(-1);
  return {
    account_id: u.accountId,
    account_type: u.accountType,
    account_status: u.accountStatus,
    name: u.name,
    picture: u.picture,
    email: u.email,
    access_billable: isBillable(state, u),
    ...(latest ? { last_active: ms(latest) } : {}),
    product_access: products,
    links: { self: `${baseUrl}/admin/v1/orgs/${orgId}/users/${encodeURIComponent(u.accountId)}` },
  };
}
