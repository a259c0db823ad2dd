import type {
  SimActivity,
  SimDirectory,
  SimEvent,
  SimGroup,
  SimMembershipStatus,
  SimOrg,
  SimUser,
  SimWorkspace,
} from "./model.ts";

/** `-` means "every directory the key can manage" (v2 reads). */
export const ALL_DIRECTORIES = "-";

/** The grace period between lifecycle delete and the account closing. */
export const DELETION_GRACE_MS = 14 * 86_400_000;

export type MembershipView = "active" | "suspended" | "no_membership";
export type UserStatus = "active" | "suspended" | "not_invited" | "deactivated" | "for_deletion";

/** How a user holds a role on a resource (v2 `roleAssignmentMethods`). */
export interface RoleGrant {
  resourceId: string;
  role: string;
  method: "direct" | "group_direct";
  /** Directory the grant comes through; null for direct roles of users in no directory. */
  directoryId: string | null;
}

/** Outcome of a write, mapped to a status by the route. */
export type WriteResult =
  | "ok"
  | "user-not-found"
  | "group-not-found"
  | "resource-not-found"
  | "not-in-directory"
  | "already-member"
  | "not-member"
  | "group-synced"
  | "admin-group"
  | "name-taken"
  | "not-assigned"
  | "license-limit";

/** How a write is applied. */
export interface WriteOptions {
  /** Injected clock reading of the request (ms epoch). */
  now: number;
  /** Reads of the written user show its prior state for this many ms after the write takes
   * effect (0 = off). */
  lagMs?: number;
  /** The write takes effect this many ms after `now` (0 = at once). */
  delayMs?: number;
  /** The API request, recorded on the audit event. */
  request?: { route: string; method: string; path: string };
}

/** What a change records in the audit log. */
type EventInput = Omit<SimEvent, "id" | "seq" | "time" | "request">;

/** A write accepted under `writeDelayMs`, waiting to take effect. */
interface PendingWrite {
  dueAt: number;
  run: (at: number) => void;
}

/** Per-user mutable state as {@link OrgState.snapshot} reports it. */
export interface UserSnapshot {
  accountStatus: SimUser["accountStatus"];
  /** Directory id → `active`/`suspended`; no key = not in that directory. */
  memberships: Record<string, SimMembershipStatus>;
  /** Sorted group ids. */
  groupIds: string[];
  /** Directly granted product roles as `role@resourceId`, sorted. */
  directRoles: string[];
  /** Sorted platform roles. */
  platformRoles: string[];
  deactivatedOn: string | null;
  deletionScheduledAt: string | null;
}

/** The org's write-mutable state, plain and comparable with `toEqual`. */
export interface OrgSnapshot {
  /** Account id → state, for every account the org holds. */
  users: Record<string, UserSnapshot>;
  /** Group id → name and granted roles (`role@resourceId`, sorted). */
  groups: Record<string, { name: string; directoryId: string; roles: string[] }>;
}

const roleKey = (r: { role: string; resourceId: string }) => `${r.role}@${r.resourceId}`;

/** Roles that are org-level (platform) rather than per product. */
export const PLATFORM_ROLES: ReadonlySet<string> = new Set([
  "atlassian/org-admin",
  "atlassian/site-admin",
  "atlassian/user-access-admin",
  "atlassian/ai-access",
]);

/**
 * Live state of one org: the ground truth plus lookup indexes and the write operations. All
 * writes go through here so indexes, the audit log and read-after-write lag stay consistent.
 */
export class OrgState {
  readonly org: SimOrg;
  /** Incremented on every write; read caches key on it. */
  version = 0;
  /** Results of recent list queries, valid while `version` is unchanged (see user-filter.ts). */
  readonly queryCache = new Map<string, { version: number; result: SimUser[] }>();
  private readonly usersById = new Map<string, SimUser>();
  private readonly groupsById = new Map<string, SimGroup>();
  private readonly workspacesById = new Map<string, SimWorkspace>();
  private readonly membersByGroup = new Map<string, Set<string>>();
  private readonly lagged = new Map<string, { until: number; snapshot: SimUser | undefined }>();
  private readonly pendingDeletion = new Set<string>();
  private readonly pendingWrites: PendingWrite[] = [];
  /** Generation order of every account: the stable sort key of v2 user cursors. */
  private readonly ordinals = new Map<string, number>();
  private seatCache: { version: number; used: Map<string, number> } | undefined;
  /** "spec": app and customer accounts are not v2 directory users. */
  readonly accountTypes: "spec" | "legacy";

  constructor(org: SimOrg, options: { accountTypes?: "spec" | "legacy" } = {}) {
    this.org = org;
    this.accountTypes = options.accountTypes ?? "spec";
    for (const g of org.groups) {
      this.groupsById.set(g.id, g);
      this.membersByGroup.set(g.id, new Set());
    }
    for (const w of org.workspaces) this.workspacesById.set(w.id, w);
    for (const [i, u] of org.users.entries()) {
      this.ordinals.set(u.accountId, i);
      this.usersById.set(u.accountId, u);
      for (const gid of u.groupIds) this.membersByGroup.get(gid)?.add(u.accountId);
      if (u.deletionScheduledAt && u.accountStatus !== "closed")
        this.pendingDeletion.add(u.accountId);
    }
  }

  user(accountId: string): SimUser | undefined {
    return this.usersById.get(accountId);
  }

  /** The user as reads see it at `now`: a pre-write snapshot while read-after-write lag lasts. */
  readUser(accountId: string, now: number): SimUser | undefined {
    if (this.lagged.size > 0) {
      const lag = this.lagged.get(accountId);
      if (lag && now < lag.until) return lag.snapshot;
      if (lag) this.lagged.delete(accountId);
    }
    return this.usersById.get(accountId);
  }

  /** Whether any read-after-write lag is active (lets list reads skip per-user lookups). */
  hasLag(): boolean {
    return this.lagged.size > 0;
  }

  group(id: string): SimGroup | undefined {
    return this.groupsById.get(id);
  }

  workspace(id: string): SimWorkspace | undefined {
    return this.workspacesById.get(id);
  }

  directory(id: string): SimDirectory | undefined {
    return this.org.directories.find((d) => d.directoryId === id);
  }

  /** Whether a path `directoryId` names this org's directory (or `-`). */
  knowsDirectory(scope: string): boolean {
    return scope === ALL_DIRECTORIES || this.directory(scope) !== undefined;
  }

  groupMembers(groupId: string): ReadonlySet<string> {
    return this.membersByGroup.get(groupId) ?? new Set();
  }

  membershipStatus(u: SimUser, scope: string): MembershipView {
    const states: SimMembershipStatus[] =
      scope === ALL_DIRECTORIES
        ? Object.values(u.memberships)
        : u.memberships[scope]
          ? [u.memberships[scope]]
          : [];
    if (states.length === 0) return "no_membership";
    return states.includes("active") ? "active" : "suspended";
  }

  status(u: SimUser, scope: string): UserStatus {
    if (u.deletionScheduledAt && u.accountStatus !== "closed") return "for_deletion";
    if (u.accountStatus !== "active") return "deactivated";
    const m = this.membershipStatus(u, scope);
    return m === "suspended" ? "suspended" : m === "no_membership" ? "not_invited" : "active";
  }

  /** Whether the v2 directory API shows this account at all: people always; app and customer
   * accounts only in "legacy" mode (v2 `AccountType` is `atlassian` only). */
  isDirectoryAccount(u: SimUser): boolean {
    return this.accountTypes === "legacy" || u.accountType === "atlassian";
  }

  /** Whether v2 directory reads show the user under a scope: members, plus managed accounts
   * for `-`; never app/customer accounts in "spec" mode. */
  visibleIn(u: SimUser, scope: string): boolean {
    return this.isDirectoryAccount(u) && this.inOrg(u, scope);
  }

  /** Whether v1 per-account reads (last-active-dates) know the account: a directory member or
   * a managed account, whatever its type. */
  inOrg(u: SimUser, scope: string = ALL_DIRECTORIES): boolean {
    if (scope === ALL_DIRECTORIES) {
      return Object.keys(u.memberships).length > 0 || u.claimStatus === "managed";
    }
    return u.memberships[scope] !== undefined;
  }

  /** Position of the account in generation order (stable across writes and deletions). */
  ordinal(accountId: string): number {
    return this.ordinals.get(accountId) ?? Number.MAX_SAFE_INTEGER;
  }

  /** Every product role the user holds, with how it was granted. */
  roleGrants(u: SimUser): RoleGrant[] {
    const grants: RoleGrant[] = [];
    for (const gid of u.groupIds) {
      const g = this.groupsById.get(gid);
      if (!g) continue;
      for (const r of g.roles) {
        grants.push({
          resourceId: r.resourceId,
          role: r.role,
          method: "group_direct",
          directoryId: g.directoryId,
        });
      }
    }
    const firstDir = Object.keys(u.memberships)[0] ?? null;
    for (const r of u.directRoles) {
      grants.push({
        resourceId: r.resourceId,
        role: r.role,
        method: "direct",
        directoryId: firstDir,
      });
    }
    return grants;
  }

  /** Resource ARIs the user holds any product role on. */
  resources(u: SimUser): Set<string> {
    return new Set(this.roleGrants(u).map((g) => g.resourceId));
  }

  /** The activity reads report: one entry per product the user still holds a role on. History
   * on products whose access was removed is kept, and shows again when access returns. */
  visibleActivity(u: SimUser): SimActivity[] {
    if (u.activity.length === 0) return u.activity;
    const held = this.resources(u);
    return u.activity.filter((a) => held.has(a.workspaceId));
  }

  /** Resources on which the user occupies a licensed seat: an active person with an active
   * membership holding a non-customer role there. */
  private seats(u: SimUser, extra: RoleGrant[] = []): Set<string> {
    const out = new Set<string>();
    if (u.accountType !== "atlassian" || u.accountStatus !== "active") return out;
    if (this.membershipStatus(u, ALL_DIRECTORIES) !== "active") return out;
    for (const g of [...this.roleGrants(u), ...extra])
      if (g.role !== "atlassian/customer") out.add(g.resourceId);
    return out;
  }

  /** Licensed seats in use on a resource. One pass over the org per state version (so a
   * licence-checked write after another write costs time linear in the org's users). */
  seatsUsed(resourceId: string): number {
    if (this.seatCache?.version !== this.version) {
      const used = new Map<string, number>();
      for (const u of this.org.users) {
        for (const r of this.seats(u)) used.set(r, (used.get(r) ?? 0) + 1);
      }
      this.seatCache = { version: this.version, used };
    }
    return this.seatCache.used.get(resourceId) ?? 0;
  }

  /** Whether granting `grants` to these users would take a limited resource past its licence. */
  private exceedsLicense(users: SimUser[], grants: RoleGrant[]): boolean {
    const added = new Map<string, number>();
    for (const u of users) {
      const before = this.seats(u);
      for (const r of this.seats(u, grants)) {
        if (!before.has(r)) added.set(r, (added.get(r) ?? 0) + 1);
      }
    }
    for (const [r, n] of added) {
      const limit = this.workspacesById.get(r)?.licenseLimit;
      if (limit !== undefined && this.seatsUsed(r) + n > limit) return true;
    }
    return false;
  }

  /** Sets (or with null lifts) the enforced licence limit of a workspace; `capacity` follows. */
  setLicenseLimit(resourceId: string, seats: number | null): void {
    const w = this.workspacesById.get(resourceId);
    if (!w) throw new RangeError(`unknown workspace ${resourceId}`);
    if (seats === null) {
      delete w.licenseLimit;
    } else {
      if (!Number.isInteger(seats) || seats < 0)
        throw new RangeError(`a licence limit must be an integer >= 0, got ${seats}`);
      w.licenseLimit = seats;
      w.capacity = seats;
    }
    this.version++;
  }

  /** Applies delayed writes that have fallen due and closes accounts whose deletion grace
   * period has ended. Cheap when nothing is pending. */
  tick(now: number): void {
    while (this.pendingWrites.length > 0 && (this.pendingWrites[0]?.dueAt ?? now + 1) <= now) {
      const w = this.pendingWrites.shift();
      w?.run(w.dueAt);
    }
    if (this.pendingDeletion.size === 0) return;
    for (const id of [...this.pendingDeletion]) {
      const u = this.usersById.get(id);
      if (!u?.deletionScheduledAt) {
        this.pendingDeletion.delete(id);
        continue;
      }
      if (Date.parse(u.deletionScheduledAt) + DELETION_GRACE_MS <= now) {
        u.accountStatus = "closed";
        this.pendingDeletion.delete(id);
        this.version++;
      }
    }
  }

  // ---- writes ---------------------------------------------------------------------------
  //
  // Each write validates against the state reads see now, then hands `commit` a change that
  // mutates and returns the audit event (or undefined when it turned out to change nothing).
  // `commit` runs it at once, or later under `delayMs`, where it must re-check its own guards.

  private commit(
    w: WriteOptions,
    target: SimUser | undefined,
    change: (at: number) => EventInput | undefined,
  ): "ok" {
    const run = (at: number) => {
      if (target && this.usersById.get(target.accountId) !== target) return; // deleted meanwhile
      const lag = Math.max(0, w.lagMs ?? 0);
      const before = target && lag > 0 ? structuredClone(target) : undefined;
      const event = change(at);
      if (!event) return;
      this.version++;
      if (target && before) {
        const existing = this.lagged.get(target.accountId);
        // Keep the oldest unseen state while an earlier lag still runs.
        if (!existing || at >= existing.until)
          this.lagged.set(target.accountId, { until: at + lag, snapshot: before });
      }
      this.appendEvent(at, event, w);
    };
    const delay = Math.max(0, w.delayMs ?? 0);
    if (delay === 0) {
      run(w.now);
    } else {
      const dueAt = w.now + delay;
      const i = this.pendingWrites.findIndex((p) => p.dueAt > dueAt);
      this.pendingWrites.splice(i < 0 ? this.pendingWrites.length : i, 0, { dueAt, run });
    }
    return "ok";
  }

  /** Writes accepted under `writeDelayMs` that have not taken effect yet. */
  get pendingWriteCount(): number {
    return this.pendingWrites.length;
  }

  /** Sets the user's membership in `directoryId` to suspended/active. */
  setMembership(
    accountId: string,
    directoryId: string,
    to: SimMembershipStatus,
    w: WriteOptions,
  ): WriteResult {
    const u = this.usersById.get(accountId);
    if (!u) return "user-not-found";
    if (!u.memberships[directoryId]) return "not-in-directory";
    return this.commit(w, u, () => {
      const current = u.memberships[directoryId];
      if (!current || current === to) return undefined;
      u.memberships[directoryId] = to;
      return {
        action: to === "suspended" ? "user_suspended" : "user_restored",
        targetId: accountId,
        targetType: "users",
        message: `${to === "suspended" ? "Suspended" : "Restored"} access for ${u.name} in directory ${directoryId}`,
      };
    });
  }

  /** Removes the user from a directory, dropping its group memberships there. Unmanaged
   * accounts left in no directory disappear from the org. */
  removeFromDirectory(accountId: string, directoryId: string, w: WriteOptions): WriteResult {
    const u = this.usersById.get(accountId);
    if (!u) return "user-not-found";
    if (!u.memberships[directoryId]) return "not-in-directory";
    return this.commit(w, u, () => {
      if (!u.memberships[directoryId]) return undefined;
      delete u.memberships[directoryId];
      u.groupIds = u.groupIds.filter((gid) => {
        const g = this.groupsById.get(gid);
        if (g?.directoryId !== directoryId) return true;
        this.membersByGroup.get(gid)?.delete(accountId);
        return false;
      });
      if (Object.keys(u.memberships).length === 0) {
        u.directRoles = [];
        if (u.claimStatus === "unmanaged") this.forget(u);
      }
      return {
        action: "user_removed_from_directory",
        targetId: accountId,
        targetType: "users",
        message: `Removed ${u.name} from directory ${directoryId}`,
      };
    });
  }

  addToGroup(groupId: string, accountId: string, w: WriteOptions): WriteResult {
    const g = this.groupsById.get(groupId);
    if (!g) return "group-not-found";
    const u = this.usersById.get(accountId);
    if (!u || !this.isDirectoryAccount(u)) return "user-not-found";
    if (!u.memberships[g.directoryId]) return "not-in-directory";
    if (g.externalSynced) return "group-synced";
    if (u.groupIds.includes(groupId)) return "already-member";
    const grants = g.roles.map((r) => ({
      ...r,
      method: "group_direct" as const,
      directoryId: g.directoryId,
    }));
    if (this.exceedsLicense([u], grants)) return "license-limit";
    return this.commit(w, u, () => {
      if (u.groupIds.includes(groupId) || !this.groupsById.has(groupId)) return undefined;
      u.groupIds.push(groupId);
      this.membersByGroup.get(groupId)?.add(accountId);
      return {
        action: "group_member_added",
        targetId: accountId,
        targetType: "users",
        groupId,
        message: `Added ${u.name} to group ${g.name}`,
      };
    });
  }

  removeFromGroup(groupId: string, accountId: string, w: WriteOptions): WriteResult {
    const g = this.groupsById.get(groupId);
    if (!g) return "group-not-found";
    const u = this.usersById.get(accountId);
    if (!u) return "user-not-found";
    if (g.externalSynced) return "group-synced";
    if (!u.groupIds.includes(groupId)) return "not-member";
    return this.commit(w, u, () => {
      if (!u.groupIds.includes(groupId)) return undefined;
      u.groupIds = u.groupIds.filter((id) => id !== groupId);
      this.membersByGroup.get(groupId)?.delete(accountId);
      return {
        action: "group_member_removed",
        targetId: accountId,
        targetType: "users",
        groupId,
        message: `Removed ${u.name} from group ${g.name}`,
      };
    });
  }

  /** Grants a product role to a group (v2 role-assignments/assign). Idempotent. */
  assignGroupRole(groupId: string, resourceId: string, role: string, w: WriteOptions): WriteResult {
    const g = this.groupsById.get(groupId);
    if (!g) return "group-not-found";
    if (!this.workspacesById.has(resourceId)) return "resource-not-found";
    const has = () => g.roles.some((r) => r.resourceId === resourceId && r.role === role);
    if (has()) return "ok";
    const members = [...this.groupMembers(groupId)].flatMap((id) => this.usersById.get(id) ?? []);
    const grant = { resourceId, role, method: "group_direct" as const, directoryId: g.directoryId };
    if (this.exceedsLicense(members, [grant])) return "license-limit";
    return this.commit(w, undefined, () => {
      if (has() || !this.groupsById.has(groupId)) return undefined;
      g.roles.push({ resourceId, role });
      return {
        action: "group_role_assigned",
        targetId: groupId,
        targetType: "groups",
        groupId,
        message: `Granted ${role} on ${resourceId} to group ${g.name}`,
      };
    });
  }

  /** Revokes a product role from a group (v2 role-assignments/revoke). */
  revokeGroupRole(groupId: string, resourceId: string, role: string, w: WriteOptions): WriteResult {
    const g = this.groupsById.get(groupId);
    if (!g) return "group-not-found";
    const find = () => g.roles.findIndex((r) => r.resourceId === resourceId && r.role === role);
    if (find() < 0) return "not-assigned";
    return this.commit(w, undefined, () => {
      const idx = find();
      if (idx < 0) return undefined;
      g.roles.splice(idx, 1);
      return {
        action: "group_role_revoked",
        targetId: groupId,
        targetType: "groups",
        groupId,
        message: `Revoked ${role} on ${resourceId} from group ${g.name}`,
      };
    });
  }

  /** Grants a role directly to a user (v1 roles/assign); platform roles need no resource.
   * Idempotent: a role already held answers "ok" and records nothing. */
  assignUserRole(
    accountId: string,
    role: string,
    resourceId: string | undefined,
    w: WriteOptions,
  ): WriteResult {
    const u = this.usersById.get(accountId);
    if (!u) return "user-not-found";
    const platform = PLATFORM_ROLES.has(role);
    if (!platform && (!resourceId || !this.workspacesById.has(resourceId)))
      return "resource-not-found";
    const held = () =>
      platform
        ? u.platformRoles.includes(role)
        : u.directRoles.some((r) => r.resourceId === resourceId && r.role === role);
    if (held()) return "ok";
    if (!platform && resourceId) {
      const grant = { resourceId, role, method: "direct" as const, directoryId: null };
      if (this.exceedsLicense([u], [grant])) return "license-limit";
    }
    return this.commit(w, u, () => {
      if (held()) return undefined;
      if (platform) u.platformRoles.push(role);
      else if (resourceId) u.directRoles.push({ resourceId, role });
      return {
        action: "user_role_assigned",
        targetId: accountId,
        targetType: "users",
        message: `Granted ${role}${resourceId ? ` on ${resourceId}` : ""} to ${u.name}`,
      };
    });
  }

  /** Revokes a directly granted role (v1 roles/revoke). Group-granted roles stay. */
  revokeUserRole(
    accountId: string,
    role: string,
    resourceId: string | undefined,
    w: WriteOptions,
  ): WriteResult {
    const u = this.usersById.get(accountId);
    if (!u) return "user-not-found";
    const platform = PLATFORM_ROLES.has(role);
    const find = () =>
      platform
        ? u.platformRoles.indexOf(role)
        : u.directRoles.findIndex((r) => r.resourceId === resourceId && r.role === role);
    if (find() < 0) return "not-assigned";
    return this.commit(w, u, () => {
      const idx = find();
      if (idx < 0) return undefined;
      if (platform) u.platformRoles.splice(idx, 1);
      else u.directRoles.splice(idx, 1);
      return {
        action: "user_role_revoked",
        targetId: accountId,
        targetType: "users",
        message: `Revoked ${role}${resourceId ? ` on ${resourceId}` : ""} from ${u.name}`,
      };
    });
  }

  /** Creates an admin-managed group; names are unique per directory (case-insensitive).
   * Always immediate: the 201 carries the new group's id. */
  createGroup(
    directoryId: string,
    id: string,
    name: string,
    description: string,
    w: WriteOptions,
  ): SimGroup | "name-taken" {
    const lower = name.toLowerCase();
    if (
      this.org.groups.some((g) => g.directoryId === directoryId && g.name.toLowerCase() === lower)
    )
      return "name-taken";
    const g: SimGroup = {
      id,
      directoryId,
      name,
      description,
      externalSynced: false,
      managedBy: "admins",
      roles: [],
      isAdminGroup: false,
    };
    this.commit({ ...w, delayMs: 0 }, undefined, () => {
      this.org.groups.push(g);
      this.groupsById.set(id, g);
      this.membersByGroup.set(id, new Set());
      return {
        action: "group_created",
        targetId: id,
        targetType: "groups",
        groupId: id,
        message: `Created group ${name}`,
      };
    });
    return g;
  }

  /** Deletes a group and every membership in it; admin and IdP groups are refused. */
  deleteGroup(groupId: string, w: WriteOptions): WriteResult {
    const g = this.groupsById.get(groupId);
    if (!g) return "group-not-found";
    if (g.isAdminGroup) return "admin-group";
    if (g.externalSynced) return "group-synced";
    return this.commit(w, undefined, () => {
      if (!this.groupsById.has(groupId)) return undefined;
      for (const accountId of this.membersByGroup.get(groupId) ?? []) {
        const u = this.usersById.get(accountId);
        if (u) u.groupIds = u.groupIds.filter((id) => id !== groupId);
      }
      this.membersByGroup.delete(groupId);
      this.groupsById.delete(groupId);
      this.org.groups.splice(this.org.groups.indexOf(g), 1);
      return {
        action: "group_deleted",
        targetId: groupId,
        targetType: "groups",
        message: `Deleted group ${g.name}`,
      };
    });
  }

  /** Lifecycle transitions (user-management API). Preconditions are checked by the route. */
  lifecycle(
    u: SimUser,
    op: "disable" | "enable" | "delete" | "cancel-delete",
    w: WriteOptions,
  ): void {
    const action = {
      disable: "account_deactivated",
      enable: "account_reactivated",
      delete: "account_deletion_scheduled",
      "cancel-delete": "account_deletion_canceled",
    }[op];
    this.commit(w, u, (at) => {
      const iso = new Date(at).toISOString();
      switch (op) {
        case "disable":
          if (u.accountStatus !== "active" || u.deletionScheduledAt) return undefined;
          u.accountStatus = "inactive";
          u.deactivatedOn = iso;
          break;
        case "enable":
          if (u.accountStatus !== "inactive" || u.deletionScheduledAt) return undefined;
          u.accountStatus = "active";
          u.deactivatedOn = null;
          break;
        case "delete":
          if (u.deletionScheduledAt) return undefined;
          u.accountStatus = "inactive";
          u.deactivatedOn ??= iso;
          u.deletionScheduledAt = iso;
          this.pendingDeletion.add(u.accountId);
          break;
        case "cancel-delete":
          if (!u.deletionScheduledAt) return undefined;
          u.accountStatus = "active";
          u.deactivatedOn = null;
          u.deletionScheduledAt = null;
          this.pendingDeletion.delete(u.accountId);
          break;
      }
      return {
        action,
        targetId: u.accountId,
        targetType: "users",
        message: `${action.replace(/_/g, " ")}: ${u.name}`,
      };
    });
  }

  appendEvent(now: number, e: EventInput, w?: WriteOptions): SimEvent {
    const seq = (this.org.events.at(-1)?.seq ?? 0) + 1;
    const event: SimEvent = {
      id: `00000000-0000-4000-8000-${seq.toString(16).padStart(12, "0")}`,
      seq,
      time: new Date(now).toISOString(),
      ...e,
      ...(w?.request ? { request: { ...w.request, at: new Date(w.now).toISOString() } } : {}),
    };
    this.org.events.push(event);
    return event;
  }

  // ---- changes made outside the API (test hooks; no audit events) -------------------------

  /** Drops an account from the org and every index. */
  private forget(u: SimUser): void {
    this.usersById.delete(u.accountId);
    const idx = this.org.users.indexOf(u);
    if (idx >= 0) this.org.users.splice(idx, 1);
    for (const gid of u.groupIds) this.membersByGroup.get(gid)?.delete(u.accountId);
    this.lagged.delete(u.accountId);
    this.pendingDeletion.delete(u.accountId);
  }

  /** Deletes an account as if it vanished between two reads: every per-user read answers 404
   * and it leaves every list. Returns false when the account is unknown. */
  deleteUser(accountId: string): boolean {
    const u = this.usersById.get(accountId);
    if (!u) return false;
    this.forget(u);
    this.version++;
    return true;
  }

  /** Records product use: the user's last activity on `resourceId` becomes `atMs` unless it is
   * already later. Returns the stored timestamp. Throws RangeError for an unknown user or
   * resource, or a resource the user holds no role on (activity needs access). */
  recordActivity(accountId: string, resourceId: string, atMs: number): string {
    const u = this.usersById.get(accountId);
    if (!u) throw new RangeError(`unknown account ${accountId}`);
    if (!this.workspacesById.has(resourceId))
      throw new RangeError(`unknown workspace ${resourceId}`);
    if (!this.resources(u).has(resourceId))
      throw new RangeError(`${accountId} holds no role on ${resourceId}; grant access first`);
    if (!Number.isFinite(atMs)) throw new RangeError(`atMs must be a ms epoch, got ${atMs}`);
    // Nanosecond form, as the v2 API shows it.
    const at = `${new Date(atMs).toISOString().slice(0, -1)}000000Z`;
    const existing = u.activity.find((a) => a.workspaceId === resourceId);
    if (!existing) u.activity.push({ workspaceId: resourceId, lastActiveAt: at });
    else if (Date.parse(existing.lastActiveAt) < atMs) existing.lastActiveAt = at;
    this.version++;
    return existing?.lastActiveAt ?? at;
  }

  /** Resolves a product key (last-active `jira-software` or v2 `jira`) or a workspace ARI to
   * workspace ids. Throws RangeError when nothing matches. */
  resolveResources(productKeyOrResourceId: string): string[] {
    if (this.workspacesById.has(productKeyOrResourceId)) return [productKeyOrResourceId];
    const ids = this.org.workspaces
      .filter((w) => w.key === productKeyOrResourceId || w.v2Key === productKeyOrResourceId)
      .map((w) => w.id);
    if (ids.length === 0)
      throw new RangeError(`no workspace has the id or product key ${productKeyOrResourceId}`);
    return ids;
  }

  /** The org's write-mutable state, plain and sorted, for before/after comparisons. */
  snapshot(): OrgSnapshot {
    const users: Record<string, UserSnapshot> = {};
    for (const u of this.org.users) {
      users[u.accountId] = {
        accountStatus: u.accountStatus,
        memberships: { ...u.memberships },
        groupIds: [...u.groupIds].sort(),
        directRoles: u.directRoles.map(roleKey).sort(),
        platformRoles: [...u.platformRoles].sort(),
        deactivatedOn: u.deactivatedOn,
        deletionScheduledAt: u.deletionScheduledAt,
      };
    }
    const groups: OrgSnapshot["groups"] = {};
    for (const g of this.org.groups) {
      groups[g.id] = {
        name: g.name,
        directoryId: g.directoryId,
        roles: g.roles.map(roleKey).sort(),
      };
    }
    return { users, groups };
  }
}
