/**
 * Ground truth of a simulated Atlassian organization.
 *
 * The simulator renders every API response from these objects, and tests elsewhere compare a
 * crawled database against them (`sim.orgs[0]`). They are live: writes through the API mutate
 * them in place. Timestamps are ISO-8601 UTC strings unless a field says "ms epoch".
 */

/** One product instance on a site, as listed by `POST /admin/v2/orgs/{orgId}/workspaces`. */
export interface SimWorkspace {
  /** ARI of the product instance, e.g. `ari:cloud:jira-software::site/<cloudId>`. Also the
   * `id` in last-active-dates `product_access[]`, v2 `productAccess[]` and role assignments. */
  id: string;
  /** Cloud id of the site hosting the product (several products share one site). */
  cloudId: string;
  /** Product key as last-active-dates and v1 `/users` report it (`jira-software`, `confluence`,
   * `jira-service-desk`, …). Also the workspace `attributes.typeKey`. */
  key: string;
  /** Product key as v2 `productAccess[].key` reports it (`jira`, `confluence`, `jira-servicedesk`, …). */
  v2Key: string;
  /** Resource owner in role assignments (the ARI's product segment, e.g. `jira-servicedesk`). */
  resourceOwner: string;
  /** Human product name, e.g. `Jira Software`. */
  productName: string;
  /** Site name, e.g. `acme` (host `acme.atlassian.net`). */
  siteName: string;
  /** Site host without scheme, e.g. `acme.atlassian.net`. */
  hostUrl: string;
  /** Licensed seats, or null when unknown (the workspace `capacity` attribute). */
  capacity: number | null;
  /** Seats enforced on writes that add access (licence-limit 409s); absent = not enforced.
   * Set through `SeedOptions.licenseLimits` or `sim.setLicenseLimit`; `capacity` follows it. */
  licenseLimit?: number;
  /** When the workspace was created. */
  createdAt: string;
}

/** A user directory (userbase). Centralized orgs have one; original-experience orgs may have more. */
export interface SimDirectory {
  directoryId: string;
  name: string;
  icon: string;
}

/** A verified or unverified email domain of the org; users on verified domains are managed. */
export interface SimDomain {
  id: string;
  name: string;
  verified: boolean;
}

/** A product role granted to a group for a workspace. */
export interface SimGroupRole {
  /** Workspace ARI. */
  resourceId: string;
  /** e.g. `atlassian/user`, `atlassian/admin`. */
  role: string;
}

/** A group in one directory. Membership lives on {@link SimUser.groupIds}. */
export interface SimGroup {
  /** Group UUID (v2 paths). v2 `expand: ["groups"]` shows it as `ari:cloud:identity::group/<id>`. */
  id: string;
  directoryId: string;
  name: string;
  description: string;
  /** Provisioned by an identity provider (SCIM); membership edits are refused with 403. */
  externalSynced: boolean;
  /** `external` for IdP groups, otherwise `admins`. */
  managedBy: "external" | "admins" | "team-members" | "open";
  /** Product roles this group grants to its members. */
  roles: SimGroupRole[];
  /** Admin groups (site-admins, …) cannot be deleted. */
  isAdminGroup: boolean;
}

/** A role granted directly to a user (not through a group). */
export interface SimDirectRole {
  resourceId: string;
  role: string;
}

/** The user's last activity in one product instance. */
export interface SimActivity {
  /** Workspace ARI ({@link SimWorkspace.id}). */
  workspaceId: string;
  /** Last activity with nanosecond precision, e.g. `2025-11-06T23:07:29.936941226Z`. v2
   * `productAccess[].lastActiveTimestamp` shows it verbatim; last-active-dates shows its date part
   * as `last_active` and its second-precision form as `last_active_timestamp`. */
  lastActiveAt: string;
}

/** Membership of a user in one directory. */
export type SimMembershipStatus = "active" | "suspended";

/** One user account as the org sees it. */
export interface SimUser {
  /** e.g. `5b86be50b8e3cb5895860d6d` or `557057:<uuid>`. */
  accountId: string;
  /** `atlassian` for people, `app` for bots/integrations, `customer` for JSM portal customers. */
  accountType: "atlassian" | "app" | "customer";
  /** Lifecycle of the account itself: `inactive` = deactivated, `closed` = deleted. */
  accountStatus: "active" | "inactive" | "closed";
  /** Directory id → membership status. No entry = not a member of that directory. */
  memberships: Record<string, SimMembershipStatus>;
  /** `managed` when the email domain is a verified org domain. */
  claimStatus: "managed" | "unmanaged";
  /** `synced` = provisioned by SCIM, `invited` = invited by an admin, null = unknown/self-signup. */
  managementSource: "invited" | "synced" | null;
  name: string;
  nickname: string;
  email: string;
  emailVerified: boolean;
  /** Invited but never joined: no activity, email not verified. */
  invitePending: boolean;
  mfaEnabled: boolean;
  jobTitle: string | null;
  department: string | null;
  organization: string | null;
  location: string | null;
  timeZone: string | null;
  picture: string;
  /** e.g. `atlassian/org-admin`, `atlassian/site-admin`. */
  platformRoles: string[];
  /** When the user was added to the org (ms precision ISO). */
  addedToOrg: string;
  /** When the account was deactivated, if it is. */
  deactivatedOn: string | null;
  /** When deletion was requested (lifecycle delete); the account closes 14 days later. */
  deletionScheduledAt: string | null;
  /** Group ids the user belongs to (the only record of membership). */
  groupIds: string[];
  /** Roles granted directly to the user. */
  directRoles: SimDirectRole[];
  /** Last activity per product; empty for never-active users. */
  activity: SimActivity[];
}

/** An audit-log event appended by every successful write. */
export interface SimEvent {
  id: string;
  /** Monotonic sequence number within the org (newest = highest). */
  seq: number;
  /** ms-precision ISO time of the write. */
  time: string;
  /** Action id, e.g. `user_suspended` (see `event-actions`). */
  action: string;
  /** The account or group the write touched. */
  targetId: string;
  targetType: "users" | "groups";
  /** Extra context object (e.g. the group of a membership change). */
  groupId?: string;
  message: string;
  /** The API request that made the write (absent for writes made outside the API). */
  request?: SimEventRequest;
}

/** The request behind an audit event, so tests can match events to a client's own log. */
export interface SimEventRequest {
  /** Route name as in `stats.byRoute`, e.g. `groups.removeMember`. */
  route: string;
  method: string;
  /** Path without the query string, e.g. `/admin/v2/orgs/…/memberships/…`. */
  path: string;
  /** When the request was answered (ms ISO); `time` is when the write took effect, later
   * than this only under `faults.writeDelayMs`. */
  at: string;
}

/** The complete live state of one simulated organization. */
export interface SimOrg {
  id: string;
  name: string;
  /** Bearer key that authenticates as this org. */
  apiKey: string;
  /** The generator's reference time (ms epoch); activity and join dates lie before it. */
  generatedAt: number;
  directories: SimDirectory[];
  domains: SimDomain[];
  workspaces: SimWorkspace[];
  groups: SimGroup[];
  /** Users in stable generation order (the order the list endpoints page through). */
  users: SimUser[];
  events: SimEvent[];
}
