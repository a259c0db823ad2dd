/**
 * Right before acting: what the live reads say about one planned action (pure). A user active
 * since the crawl, or whose access changed, is skipped with the reason; otherwise the exact
 * writes are decided from the live state, and must match what the plan said.
 */
import type { StepOp } from "../../db/tables/policy.ts";
import { isAdminGrant, isAdminRole } from "../../rules/index.ts";
import { DEACTIVATE_MESSAGE } from "../api-calls.ts";
import type { ActionDetail } from "../model.ts";
import type { LiveActivity, LiveGroup, LiveRoles, StepTarget } from "./policy-api.ts";

export interface StepSpec {
  key: string;
  op: StepOp;
  target: StepTarget;
}

export type Decision = { act: false; reason: string } | { act: true; steps: StepSpec[] };

export interface PlannedActionView {
  accountId: string;
  kind: string;
  productKey: string;
  resourceId: string | null;
  detail: ActionDetail;
}

/**
 * Same resource. Two ARIs must be equal (products of one site share its cloud id); a bare id
 * (the API may send a site's cloud id) matches an ARI ending in it.
 */
export function sameResource(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.includes("/") && b.includes("/")) return false;
  const tail = (s: string) => s.slice(s.lastIndexOf("/") + 1);
  return tail(a) === tail(b);
}

/** The planned seat a live activity entry is about (by resource, and by key for bare ids). */
function plannedSeat(planned: ActionDetail["lastActive"], l: LiveActivity) {
  return planned.find(
    (s) =>
      sameResource(s.resourceId, l.resourceId) &&
      (s.resourceId === l.resourceId || s.productKey === l.productKey),
  );
}

/** Activity newer than the plan saw (second precision), on the products that matter to the action. */
export function activeSince(
  live: readonly LiveActivity[],
  planned: ActionDetail["lastActive"],
  relevant: (seat: ActionDetail["lastActive"][number] | undefined, l: LiveActivity) => boolean,
): LiveActivity | null {
  for (const l of live) {
    const p = plannedSeat(planned, l);
    if (!relevant(p, l)) continue;
    const seen = p?.lastActiveAt ? new Date(p.lastActiveAt).getTime() : null;
    if (seen === null || l.lastActiveAt.getTime() >= seen + 1000) return l;
  }
  return null;
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/** Whether the live reads say the user now holds an admin role (then it is protected). */
function adminRole(roles: readonly LiveRoles[]): string | null {
  for (const r of roles) {
    for (const x of r.roles) {
      if (r.directoryId === null ? isAdminRole(x.role) : isAdminGrant(x.role)) return x.role;
    }
  }
  return null;
}

/**
 * Decides one action from the live reads. `groups` is the user's live groups granting the
 * action's resource (read only for remove-product-access granted through a group).
 */
export function decide(
  a: PlannedActionView,
  live: {
    activity: readonly LiveActivity[];
    roles: readonly LiveRoles[];
    groups?: readonly LiveGroup[];
  },
): Decision {
  const active = activeSince(
    live.activity,
    a.detail.lastActive,
    // an entry that matches no planned seat counts when it could be this product: unknown is
    // never evidence of inactivity
    (seat, l) =>
      a.resourceId === null ||
      seat?.resourceId === a.resourceId ||
      (seat === undefined && l.productKey === a.productKey),
  );
  if (active !== null)
    return {
      act: false,
      reason: `active since the crawl: ${active.productKey} at ${active.lastActiveAt.toISOString()}`,
    };
  const admin = adminRole(live.roles);
  if (admin !== null)
    return { act: false, reason: `holds an admin role now (${admin}): protected` };

  if (a.kind === "remove-product-access") return decideRemove(a, live);
  const dirs = [
    ...new Set(
      live.roles
        .filter((r) => r.directoryId !== null && r.userDirectoryStatus === "active")
        .map((r) => r.directoryId as string),
    ),
  ].sort();
  if (a.kind === "suspend") {
    if (dirs.length === 0)
      return {
        act: false,
        reason: live.roles.some((r) => r.userDirectoryStatus === "suspended")
          ? "already suspended since the crawl (not by this plan)"
          : "holds no product access any more: changed since the crawl",
      };
    return {
      act: true,
      steps: dirs.map((d) => ({
        key: `suspend:${d}`,
        op: "suspend",
        target: { accountId: a.accountId, directoryId: d },
      })),
    };
  }
  // deactivate: the state is read through one of the user's directories
  const dir = live.roles.find((r) => r.directoryId !== null)?.directoryId ?? null;
  if (dir === null)
    return { act: false, reason: "holds no product access any more: changed since the crawl" };
  return {
    act: true,
    steps: [
      {
        key: "disable",
        op: "disable",
        target: { accountId: a.accountId, directoryId: dir, message: DEACTIVATE_MESSAGE },
      },
    ],
  };
}

function decideRemove(
  a: PlannedActionView,
  live: { roles: readonly LiveRoles[]; groups?: readonly LiveGroup[] },
): Decision {
  const resourceId = a.resourceId as string;
  const entry = live.roles.find((r) => sameResource(r.resourceId, resourceId));
  if (entry === undefined || entry.roles.length === 0)
    return { act: false, reason: `no access to ${a.productKey} any more: changed since the crawl` };
  if (entry.userDirectoryStatus === "suspended")
    return { act: false, reason: "suspended since the crawl: the seat is already free" };
  const methods = new Set(entry.roles.flatMap((r) => r.methods));
  if (methods.size === 0)
    return { act: false, reason: "the API did not say how the access is granted: nothing changed" };
  const planned = a.detail.groups.map((g) => g.groupId);
  const steps: StepSpec[] = [];
  if (methods.has("group_direct")) {
    const groups = live.groups ?? [];
    const locked = groups.filter((g) => !g.editable);
    if (locked.length > 0)
      return {
        act: false,
        reason: `granted by a group the IdP manages (${locked.map((g) => g.name).join(", ")}): change it in the IdP`,
      };
    const ids = groups.map((g) => g.groupId);
    if (!sameSet(ids, planned))
      return {
        act: false,
        reason: `access changed since the crawl: granted by groups [${groups.map((g) => g.name).join(", ")}], planned [${a.detail.groups.map((g) => g.groupName).join(", ")}]`,
      };
    for (const g of a.detail.groups)
      steps.push({
        key: `remove-membership:${g.groupId}`,
        op: "remove-membership",
        target: {
          accountId: a.accountId,
          groupId: g.groupId,
          groupName: g.groupName,
          directoryId: g.directoryId,
        },
      });
  } else if (planned.length > 0) {
    return {
      act: false,
      reason: `access changed since the crawl: no longer granted by ${a.detail.groups.map((g) => g.groupName).join(", ")}`,
    };
  }
  const directLive = entry.roles.filter((r) => r.methods.includes("direct")).map((r) => r.role);
  const directPlanned = a.detail.directRoles
    .filter((r) => r.role !== null)
    .map((r) => r.role as string);
  const plannedDirect = a.detail.directRoles.length > 0;
  if (directPlanned.length > 0 && !sameSet(directLive, directPlanned))
    return {
      act: false,
      reason: `access changed since the crawl: direct roles [${directLive.join(", ")}], planned [${directPlanned.join(", ")}]`,
    };
  if (directLive.length > 0 && !plannedDirect)
    return {
      act: false,
      reason: `access changed since the crawl: now also granted directly (${directLive.join(", ")})`,
    };
  for (const role of directLive)
    steps.push({
      key: `revoke-role:${role}@${resourceId}`,
      op: "revoke-role",
      target: { accountId: a.accountId, role, resourceId: entry.resourceId },
    });
  if (steps.length === 0)
    return {
      act: false,
      reason: methods.has("inferred")
        ? "the access is inferred: no API call can revoke it"
        : `no revocable grant of ${a.productKey} found`,
    };
  return { act: true, steps };
}

/** Whether the live roles still hold the action's seat after the writes (another grant). */
export function stillHeld(a: PlannedActionView, roles: readonly LiveRoles[]): string | null {
  if (a.kind === "remove-product-access") {
    const entry = roles.find((r) => sameResource(r.resourceId, a.resourceId as string));
    if (
      entry === undefined ||
      entry.roles.length === 0 ||
      entry.userDirectoryStatus === "suspended"
    )
      return null;
    return `still held via ${[...new Set(entry.roles.flatMap((r) => r.methods))].join(", ") || "an unknown grant"}`;
  }
  if (a.kind === "suspend") {
    const active = roles.filter(
      (r) => r.directoryId !== null && r.userDirectoryStatus === "active",
    );
    return active.length === 0 ? null : `still active in directory ${active[0]!.directoryId}`;
  }
  return null;
}
