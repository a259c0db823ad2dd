import type {
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
  | "not-assigned";

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

  constructor(org: SimOrg) {
    this.org = org;
    for (const g of org.groups) {
      this.groupsById.set(g.id, g);
      this.membersByGroup.set(g.id, new Set());
    }
    for (const w of org.workspaces) this.workspacesById.set(w.id, w);
    for (const u of org.users) {
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

  /** Whether the user appears under a directory scope: members, plus managed accounts for `-`. */
  visibleIn(u: SimUser, scope: string): boolean {
    if (scope === ALL_DIRECTORIES) {
      return Object.keys(u.memberships).length > 0 || u.claimStatus === "managed";
    }
    return u.memberships[scope] !== undefined;
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

  /** Closes accounts whose deletion grace period has ended. Cheap when nothing is pending. */
  tick(now: number): void {
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

  private beforeWrite(u: SimUser, now: number, lagMs: number): void {
    this.version++;
    if (lagMs <= 0) return;
    const existing = this.lagged.get(u.accountId);
    if (existing && now < existing.until) return; // keep the oldest unseen state
    this.lagged.set(u.accountId, { until: now + lagMs, snapshot: structuredClone(u) });
  }

  /** Sets the user's membership in `directoryId` to suspended/active. */
  setMembership(
    accountId: string,
    directoryId: string,
    to: SimMembershipStatus,
    now: number,
    lagMs: number,
  ): WriteResult {
    const u = this.usersById.get(accountId);
    if (!u) return "user-not-found";
    if (!u.memberships[directoryId]) return "not-in-directory";
    this.beforeWrite(u, now, lagMs);
    u.memberships[directoryId] = to;
    this.appendEvent(now, {
      action: to === "suspended" ? "user_suspended" : "user_restored",
      targetId: accountId,
      targetType: "users",
      message: `${to === "suspended" ? "Suspended" : "Restored"} access for ${u.name} in directory ${directoryId}`,
    });
    return "ok";
  }

  /** Removes the user from a directory, dropping its group memberships there. Unmanaged
   * accounts left in no directory disappear from the org. */
  removeFromDirectory(
    accountId: string,
    directoryId: string,
    now: number,
    lagMs: number,
  ): WriteResult {
    const u = this.usersById.get(accountId);
    if (!u) return "user-not-found";
    if (!u.memberships[directoryId]) return "not-in-directory";
    this.beforeWrite(u, now, lagMs);
    delete u.memberships[directoryId];
    u.groupIds = u.groupIds.filter((gid) => {
      const g = this.groupsById.get(gid);
      if (g?.directoryId !== directoryId) return true;
      this.membersByGroup.get(gid)?.delete(accountId);
      return false;
    });
    if (Object.keys(u.memberships).length === 0) {
      u.directRoles = [];
      if (u.claimStatus === "unmanaged") {
        this.usersById.delete(accountId);
        const idx = this.org.users.indexOf(u);
        if (idx >= 0) this.org.users.splice(idx, 1);
      }
    }
    this.appendEvent(now, {
      action: "user_removed_from_directory",
      targetId: accountId,
      targetType: "users",
      message: `Removed ${u.name} from directory ${directoryId}`,
    });
    return "ok";
  }

  addToGroup(groupId: string, accountId: string, now: number, lagMs: number): WriteResult {
    const g = this.groupsById.get(groupId);
    if (!g) return "group-not-found";
    const u = this.usersById.get(accountId);
    if (!u) return "user-not-found";
    if (!u.memberships[g.directoryId]) return "not-in-directory";
    if (g.externalSynced) return "group-synced";
    if (u.groupIds.includes(groupId)) return "already-member";
    this.beforeWrite(u, now, lagMs);
    u.groupIds.push(groupId);
    this.membersByGroup.get(groupId)?.add(accountId);
    this.appendEvent(now, {
      action: "group_member_added",
      targetId: accountId,
      targetType: "users",
      groupId,
      message: `Added ${u.name} to group ${g.name}`,
    });
    return "ok";
  }

  removeFromGroup(groupId: string, accountId: string, now: number, lagMs: number): WriteResult {
    const g = this.groupsById.get(groupId);
    if (!g) return "group-not-found";
    const u = this.usersById.get(accountId);
    if (!u) return "user-not-found";
    if (g.externalSynced) return "group-synced";
    if (!u.groupIds.includes(groupId)) return "not-member";
    this.beforeWrite(u, now, lagMs);
    u.groupIds = u.groupIds.filter((id) => id !== groupId);
    this.membersByGroup.get(groupId)?.delete(accountId);
    this.appendEvent(now, {
      action: "group_member_removed",
      targetId: accountId,
      targetType: "users",
      groupId,
      message: `Removed ${u.name} from group ${g.name}`,
    });
    return "ok";
  }

  /** Grants a product role to a group (v2 role-assignments/assign). Idempotent. */
  assignGroupRole(groupId: string, resourceId: string, role: string, now: number): WriteResult {
    const g = this.groupsById.get(groupId);
    if (!g) return "group-not-found";
    if (!this.workspacesById.has(resourceId)) return "resource-not-found";
    if (!g.roles.some((r) => r.resourceId === resourceId && r.role === role)) {
      this.version++;
      g.roles.push({ resourceId, role });
      this.appendEvent(now, {
        action: "group_role_assigned",
        targetId: groupId,
        targetType: "groups",
        groupId,
        message: `Granted ${role} on ${resourceId} to group ${g.name}`,
      });
    }
    return "ok";
  }

  /** Revokes a product role from a group (v2 role-assignments/revoke). */
  revokeGroupRole(groupId: string, resourceId: string, role: string, now: number): WriteResult {
    const g = this.groupsById.get(groupId);
    if (!g) return "group-not-found";
    const idx = g.roles.findIndex((r) => r.resourceId === resourceId && r.role === role);
    if (idx < 0) return "not-assigned";
    this.version++;
    g.roles.splice(idx, 1);
    this.appendEvent(now, {
      action: "group_role_revoked",
      targetId: groupId,
      targetType: "groups",
      groupId,
      message: `Revoked ${role} on ${resourceId} from group ${g.name}`,
    });
    return "ok";
  }

  /** Grants a role directly to a user (v1 roles/assign); platform roles need no resource. */
  assignUserRole(
    accountId: string,
    role: string,
    resourceId: string | undefined,
    now: number,
    lagMs: number,
  ): WriteResult {
    const u = this.usersById.get(accountId);
    if (!u) return "user-not-found";
    if (PLATFORM_ROLES.has(role)) {
      if (u.platformRoles.includes(role)) return "ok";
      this.beforeWrite(u, now, lagMs);
      u.platformRoles.push(role);
    } else {
      if (!resourceId || !this.workspacesById.has(resourceId)) return "resource-not-found";
      if (u.directRoles.some((r) => r.resourceId === resourceId && r.role === role)) return "ok";
      this.beforeWrite(u, now, lagMs);
      u.directRoles.push({ resourceId, role });
    }
    this.appendEvent(now, {
      action: "user_role_assigned",
      targetId: accountId,
      targetType: "users",
      message: `Granted ${role}${resourceId ? ` on ${resourceId}` : ""} to ${u.name}`,
    });
    return "ok";
  }

  /** Revokes a directly granted role (v1 roles/revoke). Group-granted roles stay. */
  revokeUserRole(
    accountId: string,
    role: string,
    resourceId: string | undefined,
    now: number,
    lagMs: number,
  ): WriteResult {
    const u = this.usersById.get(accountId);
    if (!u) return "user-not-found";
    if (PLATFORM_ROLES.has(role)) {
      if (!u.platformRoles.includes(role)) return "not-assigned";
      this.beforeWrite(u, now, lagMs);
      u.platformRoles = u.platformRoles.filter((r) => r !== role);
    } else {
      const idx = u.directRoles.findIndex((r) => r.resourceId === resourceId && r.role === role);
      if (idx < 0) return "not-assigned";
      this.beforeWrite(u, now, lagMs);
      u.directRoles.splice(idx, 1);
    }
    this.appendEvent(now, {
      action: "user_role_revoked",
      targetId: accountId,
      targetType: "users",
      message: `Revoked ${role}${resourceId ? ` on ${resourceId}` : ""} from ${u.name}`,
    });
    return "ok";
  }

  /** Creates an admin-managed group; names are unique per directory (case-insensitive). */
  createGroup(
    directoryId: string,
    id: string,
    name: string,
    description: string,
    now: number,
  ): SimGroup | "name-taken" {
    const lower = name.toLowerCase();
    if (
      this.org.groups.some((g) => g.directoryId === directoryId && g.name.toLowerCase() === lower)
    )
      return "name-taken";
    this.version++;
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
    this.org.groups.push(g);
    this.groupsById.set(id, g);
    this.membersByGroup.set(id, new Set());
    this.appendEvent(now, {
      action: "group_created",
      targetId: id,
      targetType: "groups",
      groupId: id,
      message: `Created group ${name}`,
    });
    return g;
  }

  /** Deletes a group and every membership in it; admin and IdP groups are refused. */
  deleteGroup(groupId: string, now: number): WriteResult {
    const g = this.groupsById.get(groupId);
    if (!g) return "group-not-found";
    if (g.isAdminGroup) return "admin-group";
    if (g.externalSynced) return "group-synced";
    this.version++;
    for (const accountId of this.membersByGroup.get(groupId) ?? []) {
      const u = this.usersById.get(accountId);
      if (u) u.groupIds = u.groupIds.filter((id) => id !== groupId);
    }
    this.membersByGroup.delete(groupId);
    this.groupsById.delete(groupId);
    this.org.groups.splice(this.org.groups.indexOf(g), 1);
    this.appendEvent(now, {
      action: "group_deleted",
      targetId: groupId,
      targetType: "groups",
      message: `Deleted group ${g.name}`,
    });
    return "ok";
  }

  /** Lifecycle transitions (user-management API). Preconditions are checked by the route. */
  lifecycle(
    u: SimUser,
    op: "disable" | "enable" | "delete" | "cancel-delete",
    now: number,
    lagMs: number,
  ): void {
    this.beforeWrite(u, now, lagMs);
    const iso = new Date(now).toISOString();
    switch (op) {
      case "disable":
        u.accountStatus = "inactive";
        u.deactivatedOn = iso;
        break;
      case "enable":
        u.accountStatus = "active";
        u.deactivatedOn = null;
        break;
      case "delete":
        u.accountStatus = "inactive";
        u.deactivatedOn ??= iso;
        u.deletionScheduledAt = iso;
        this.pendingDeletion.add(u.accountId);
        break;
      case "cancel-delete":
        u.accountStatus = "active";
        u.deactivatedOn = null;
        u.deletionScheduledAt = null;
        this.pendingDeletion.delete(u.accountId);
        break;
    }
    const action = {
      disable: "account_deactivated",
      enable: "account_reactivated",
      delete: "account_deletion_scheduled",
      "cancel-delete": "account_deletion_canceled",
    }[op];
    this.appendEvent(now, {
      action,
      targetId: u.accountId,
      targetType: "users",
      message: `${action.replace(/_/g, " ")}: ${u.name}`,
    });
  }

  appendEvent(now: number, e: Omit<SimEvent, "id" | "seq" | "time">): SimEvent {
    const seq = (this.org.events.at(-1)?.seq ?? 0) + 1;
    const event: SimEvent = {
      id: `00000000-0000-4000-8000-${seq.toString(16).padStart(12, "0")}`,
      seq,
      time: new Date(now).toISOString(),
      ...e,
    };
    this.org.events.push(event);
    return event;
  }
}
