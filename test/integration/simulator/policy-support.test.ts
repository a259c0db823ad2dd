import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../../src/simulator/index.ts";
import type {
  RunningSimulator,
  SimOrg,
  SimUser,
  SimulatorOptions,
  SimWorkspace,
} from "../../../src/simulator/index.ts";
import type {
  Group,
  LastActivePage,
  Page,
  UserRoleAssignment,
  V2User,
  WorkspacePage,
} from "./api-types.ts";
import { client } from "./sim-client.ts";

/**
 * What a policy apply must survive, through real HTTP (issue 12): licence-limit 409s on
 * re-adding access, users who become active between crawl and apply, writes that take effect
 * later, and an exact undo checked against `sim.snapshot()`.
 */
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
let now = T0;
let sim: RunningSimulator;
let org: SimOrg;
let api: ReturnType<typeof client>;
let dir: string;
let v2: string;

async function start(opts: Partial<SimulatorOptions> = {}, seed = {}): Promise<void> {
  now = T0;
  sim = await startSimulator({
    orgs: [{ users: 200, seed: "policy-support-2", now: T0, ...seed }],
    clock: () => now,
    ...opts,
  });
  org = sim.orgs[0]!;
  api = client(sim);
  dir = org.directories[0]!.directoryId;
  v2 = `/admin/v2/orgs/${org.id}/directories`;
}
afterEach(() => sim.close());

/** An active person in the primary directory with no admin roles, matching `extra`. */
function person(extra: (u: SimUser) => boolean = () => true, not: SimUser[] = []): SimUser {
  const u = org.users.find(
    (x) =>
      x.accountType === "atlassian" &&
      x.accountStatus === "active" &&
      !x.deletionScheduledAt &&
      x.memberships[dir] === "active" &&
      x.platformRoles.length === 0 &&
      !not.includes(x) &&
      extra(x),
  );
  if (!u) throw new Error("no matching user in the seed");
  return u;
}

/** The admin-managed group granting `atlassian/user` on `ws` in the primary directory. */
const productGroup = (ws: SimWorkspace) =>
  org.groups.find(
    (g) =>
      g.directoryId === dir &&
      !g.externalSynced &&
      g.roles.length === 1 &&
      g.roles[0]!.resourceId === ws.id,
  )!;

const confluence = () => org.workspaces.find((w) => w.key === "confluence")!;

/** Whether the user holds a role on the workspace, directly or through a group. */
const holds = (u: SimUser, wsId: string) =>
  u.directRoles.some((r) => r.resourceId === wsId) ||
  u.groupIds.some((g) =>
    org.groups.find((x) => x.id === g)?.roles.some((r) => r.resourceId === wsId),
  );

/** How many of the user's groups grant the workspace. */
const grantingGroups = (u: SimUser, wsId: string) =>
  u.groupIds.filter((g) =>
    org.groups.find((x) => x.id === g)?.roles.some((r) => r.resourceId === wsId),
  ).length;

async function roles(accountId: string): Promise<UserRoleAssignment[]> {
  const r = await api.get<Page<UserRoleAssignment>>(
    `${v2}/-/users/${accountId}/role-assignments?limit=100`,
  );
  expect(r.status).toBe(200);
  return r.body.data;
}

async function lastActive(accountId: string): Promise<LastActivePage["data"]["product_access"]> {
  const out: LastActivePage["data"]["product_access"] = [];
  let q = "";
  for (;;) {
    const r = await api.get<LastActivePage>(
      `/admin/v1/orgs/${org.id}/directory/users/${accountId}/last-active-dates${q}`,
    );
    expect(r.status).toBe(200);
    out.push(...r.body.data.product_access);
    if (!r.body.links?.next) return out;
    q = `?cursor=${encodeURIComponent(r.body.links.next)}`;
  }
}

async function productAccess(accountId: string): Promise<NonNullable<V2User["productAccess"]>> {
  const r = await api.post<Page<V2User>>(`${v2}/-/users/search`, {
    accountIds: [accountId],
    expand: ["productAccess"],
  });
  return r.body.data[0]?.productAccess ?? [];
}

describe("licence limits", () => {
  beforeEach(() => start({}, { licenseLimits: { confluence: 1_000_000 } }));

  it("answers the spec's licence-limit 409 on each write that adds a seat, never saying 'already'", async () => {
    const ws = confluence();
    const used = sim.seatsUsed(0, ws.id);
    expect(used).toBeGreaterThan(10);
    sim.setLicenseLimit(0, "confluence", used);
    const group = productGroup(ws);
    const outsider = person((x) => !holds(x, ws.id));

    const add = await api.post(`${v2}/${dir}/groups/${group.id}/memberships`, {
      accountId: outsider.accountId,
    });
    expect(add.status).toBe(409);
    expect(add.body.errors?.[0]?.code).toBe("ADMIN-409-3");
    expect(add.text).not.toMatch(/already/i);

    const member = person((x) => x.groupIds.includes(group.id));
    const again = await api.post(`${v2}/${dir}/groups/${group.id}/memberships`, {
      accountId: member.accountId,
    });
    expect(again.status).toBe(409);
    expect(again.body.errors?.[0]?.code).toBe("ADMIN-409-28");
    expect(again.text).toMatch(/already/i);

    const direct = await api.post(
      `/admin/v1/orgs/${org.id}/users/${outsider.accountId}/roles/assign`,
      { role: "atlassian/user", resource: ws.id },
    );
    expect(direct.status).toBe(409);
    expect(direct.body.errors?.[0]?.code).toBe("ADMIN-UAM-409-3");

    const created = await api.post<Group>(`${v2}/${dir}/groups`, { name: "more-confluence" });
    await api.post(`${v2}/${dir}/groups/${created.body.id}/memberships`, {
      accountId: outsider.accountId,
    });
    const grant = await api.post(`${v2}/${dir}/groups/${created.body.id}/role-assignments/assign`, {
      resourceId: ws.id,
      roleId: "atlassian/user",
    });
    expect(grant.status).toBe(409);
    expect(grant.body.errors?.[0]?.code).toBe("ADMIN-409-3");

    // None of the refused writes happened or left an audit event.
    expect(outsider.directRoles.some((r) => r.resourceId === ws.id)).toBe(false);
    expect(sim.seatsUsed(0, ws.id)).toBe(used);
    expect(sim.auditEvents().map((e) => e.action)).toEqual(["group_created", "group_member_added"]);

    // Workspaces report the limit as capacity.
    const w = await api.post<WorkspacePage & { data: { attributes: { capacity: number } }[] }>(
      `/admin/v2/orgs/${org.id}/workspaces`,
      { query: { field: { name: "id", values: [ws.id] } } },
    );
    expect(w.body.data[0]?.attributes.capacity).toBe(used);
  });

  it("lets writes through that take no new seat, and refuses a re-add once the seat is taken", async () => {
    const ws = confluence();
    const group = productGroup(ws);
    const leaver = person(
      (x) =>
        x.groupIds.includes(group.id) &&
        grantingGroups(x, ws.id) === 1 &&
        !x.directRoles.some((r) => r.resourceId === ws.id),
    );
    const newcomer = person((x) => !holds(x, ws.id), [leaver]);
    sim.setLicenseLimit(0, ws.id, sim.seatsUsed(0, ws.id));

    // A suspended user takes no seat, so adding one passes at capacity.
    const suspended = org.users.find(
      (x) =>
        x.accountType === "atlassian" && x.memberships[dir] === "suspended" && !holds(x, ws.id),
    )!;
    expect(
      (
        await api.post(`${v2}/${dir}/groups/${group.id}/memberships`, {
          accountId: suspended.accountId,
        })
      ).status,
    ).toBe(204);

    // The policy frees a seat, someone else takes it, and undo's re-add hits the limit.
    expect(
      (await api.del(`${v2}/${dir}/groups/${group.id}/memberships/${leaver.accountId}`)).status,
    ).toBe(204);
    expect(
      (
        await api.post(`${v2}/${dir}/groups/${group.id}/memberships`, {
          accountId: newcomer.accountId,
        })
      ).status,
    ).toBe(204);
    const readd = await api.post(`${v2}/${dir}/groups/${group.id}/memberships`, {
      accountId: leaver.accountId,
    });
    expect(readd.status).toBe(409);
    expect(readd.body.errors?.[0]?.code).toBe("ADMIN-409-3");

    // Restoring the suspended member would bill a seat past the limit: restore has no 409 in
    // the spec, so it goes through and the workspace is over its limit.
    expect((await api.post(`${v2}/${dir}/users/${suspended.accountId}/restore`)).status).toBe(204);
    expect(sim.seatsUsed(0, ws.id)).toBe(
      (org.workspaces.find((w) => w.id === ws.id)!.licenseLimit ?? 0) + 1,
    );

    sim.setLicenseLimit(0, ws.id, null);
    expect(
      (
        await api.post(`${v2}/${dir}/groups/${group.id}/memberships`, {
          accountId: leaver.accountId,
        })
      ).status,
    ).toBe(204);
  });

  it("rejects unknown products and bad seat counts", () => {
    expect(() => sim.setLicenseLimit(0, "trello", 5)).toThrow(/trello/);
    expect(() => sim.setLicenseLimit(0, "confluence", -1)).toThrow(/integer/);
    expect(() => sim.setLicenseLimit(9, "confluence", 1)).toThrow(/no simulated org/);
  });
});

describe("activity between crawl and apply", () => {
  beforeEach(() => start());

  it("recordActivity moves last-active-dates, v2 productAccess and v1 last_active", async () => {
    const ws = confluence();
    const u = person(
      (x) =>
        x.claimStatus === "managed" &&
        x.activity.some(
          (a) => a.workspaceId === ws.id && Date.parse(a.lastActiveAt) < T0 - 90 * 86_400_000,
        ),
    );
    now = T0 + 3_600_000;
    const stored = sim.recordActivity(0, u.accountId, ws.id, now);
    expect(stored).toBe("2026-11-28T13:00:00.000000000Z");
    const la = (await lastActive(u.accountId)).find((p) => p.id === ws.id)!;
    expect(la).toMatchObject({
      last_active: "2026-11-28",
      last_active_timestamp: "2026-11-28T13:00:00Z",
    });
    const pa = (await productAccess(u.accountId)).find((p) => p.id === ws.id)!;
    expect(pa.lastActiveTimestamp).toBe(stored);
    // An earlier moment does not move it back.
    expect(sim.recordActivity(0, u.accountId, ws.id, T0 - 86_400_000)).toBe(stored);
    expect(sim.auditEvents()).toEqual([]);
  });

  it("records a first activity on a product never used, by product key when it is unambiguous", () => {
    const keys = new Map<string, number>();
    for (const w of org.workspaces) keys.set(w.key, (keys.get(w.key) ?? 0) + 1);
    const unique = org.workspaces.find((w) => keys.get(w.key) === 1)!;
    const u = person(
      (x) =>
        sim.visibleActivity(0, x.accountId).every((a) => a.workspaceId !== unique.id) &&
        x.groupIds.includes(productGroup(unique)?.id ?? "none") &&
        org.workspaces.some((w) => !holds(x, w.id)),
    );
    sim.recordActivity(0, u.accountId, unique.key, T0);
    expect(sim.visibleActivity(0, u.accountId).map((a) => a.workspaceId)).toContain(unique.id);
    const shared = [...keys].find(([, n]) => n > 1)?.[0];
    expect(shared, "the seed puts one product on two sites").toBeDefined();
    expect(() => sim.recordActivity(0, u.accountId, shared!, T0)).toThrow(/pass one ARI/);
    const noAccess = org.workspaces.find((w) => !holds(u, w.id))!;
    expect(() => sim.recordActivity(0, u.accountId, noAccess.id, T0)).toThrow(/holds no role/);
    expect(() => sim.recordActivity(0, "ghost", unique.id, T0)).toThrow(/unknown account/);
  });
});

describe("direct roles (v1 roles/assign|revoke) change every view of access", () => {
  beforeEach(() => start());

  it("revoke removes the seat from role assignments, last-active-dates and productAccess; assign brings them back", async () => {
    const u = org.users.find(
      (x) =>
        x.accountType === "atlassian" &&
        x.memberships[dir] === "active" &&
        x.directRoles.some(
          (r) =>
            x.activity.some((a) => a.workspaceId === r.resourceId) &&
            grantingGroups(x, r.resourceId) === 0,
        ),
    )!;
    const role = u.directRoles.find((r) => u.activity.some((a) => a.workspaceId === r.resourceId))!;
    const body = { role: role.role, resource: role.resourceId };
    const path = `/admin/v1/orgs/${org.id}/users/${u.accountId}/roles`;
    expect((await roles(u.accountId)).some((r) => r.resourceId === role.resourceId)).toBe(true);
    expect((await lastActive(u.accountId)).some((p) => p.id === role.resourceId)).toBe(true);

    expect((await api.post(`${path}/revoke`, body)).status).toBe(204);
    expect((await roles(u.accountId)).some((r) => r.resourceId === role.resourceId)).toBe(false);
    expect((await lastActive(u.accountId)).some((p) => p.id === role.resourceId)).toBe(false);
    expect((await productAccess(u.accountId)).some((p) => p.id === role.resourceId)).toBe(false);
    // Revoking again: 404 with the code the spec lists.
    const twice = await api.post(`${path}/revoke`, body);
    expect(twice.status).toBe(404);
    expect(twice.body.errors?.[0]?.code).toBe("ADMIN-UAM-404-3");

    expect((await api.post(`${path}/assign`, body)).status).toBe(204);
    const back = (await roles(u.accountId)).find((r) => r.resourceId === role.resourceId)!;
    expect(back.roleAssignments).toEqual([{ role: role.role, roleAssignmentMethods: ["direct"] }]);
    const activity = u.activity.find((a) => a.workspaceId === role.resourceId)!;
    expect(
      (await productAccess(u.accountId)).find((p) => p.id === role.resourceId)?.lastActiveTimestamp,
    ).toBe(activity.lastActiveAt);
    expect(sim.auditEvents().map((e) => [e.action, e.targetId, e.request?.route])).toEqual([
      ["user_role_revoked", u.accountId, "userRoles.revoke"],
      ["user_role_assigned", u.accountId, "userRoles.assign"],
    ]);
  });
});

describe("writes that take effect later", () => {
  beforeEach(() => start({ faults: { writeDelayMs: 10_000 } }));

  it("answers at once; reads, later writes and the truth change only when the write is due", async () => {
    const ws = confluence();
    const group = productGroup(ws);
    const u = person((x) => x.groupIds.includes(group.id));
    const path = `${v2}/${dir}/groups/${group.id}/memberships/${u.accountId}`;
    const inGroup = async () =>
      (
        await api.post<Page<V2User>>(`${v2}/-/users/search`, {
          accountIds: [u.accountId],
          expand: ["groups"],
        })
      ).body.data[0]!.groups!.some((g) => g.id.endsWith(group.id));

    expect((await api.del(path)).status).toBe(204);
    expect(sim.pendingWrites()).toBe(1);
    expect(u.groupIds).toContain(group.id);
    expect(await inGroup()).toBe(true);
    // The client retries while it still sees the membership: accepted again, applied once.
    now = T0 + 5_000;
    expect((await api.del(path)).status).toBe(204);
    now = T0 + 9_999;
    expect(await inGroup()).toBe(true);
    now = T0 + 10_000;
    expect(await inGroup()).toBe(false);
    expect(u.groupIds).not.toContain(group.id);
    now = T0 + 15_000;
    expect(await inGroup()).toBe(false);
    expect(sim.pendingWrites()).toBe(0);
    const events = sim.auditEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: "group_member_removed",
      time: new Date(T0 + 10_000).toISOString(),
      request: {
        route: "groups.removeMember",
        method: "DELETE",
        path,
        at: new Date(T0).toISOString(),
      },
    });
    // Now the membership is gone, a remove is refused as the spec says.
    expect((await api.del(path)).status).toBe(404);
  });

  it("composes with readAfterWriteLagMs: truth at the due time, reads after the lag on top", async () => {
    sim.setFaults({ writeDelayMs: 10_000, readAfterWriteLagMs: 5_000 });
    const u = person((x) => x.claimStatus === "managed" && x.managementSource !== "synced");
    const status = async () =>
      (await api.get<{ data: V2User }>(`${v2}/-/users/${u.accountId}`)).body.data.accountStatus;
    expect((await api.post(`/users/${u.accountId}/manage/lifecycle/disable`, {})).status).toBe(204);
    now = T0 + 10_000;
    expect(await status()).toBe("active"); // due now, lagged for 5 s more
    expect(u.accountStatus).toBe("inactive");
    expect(u.deactivatedOn).toBe(new Date(T0 + 10_000).toISOString());
    now = T0 + 14_999;
    expect(await status()).toBe("active");
    now = T0 + 15_000;
    expect(await status()).toBe("inactive");
    expect(sim.auditEvents().map((e) => e.action)).toEqual(["account_deactivated"]);
  });

  it("snapshot and auditEvents apply due writes first", async () => {
    const u = person();
    expect((await api.post(`${v2}/${dir}/users/${u.accountId}/suspend`)).status).toBe(204);
    expect(sim.snapshot().users[u.accountId]!.memberships[dir]).toBe("active");
    expect(sim.auditEvents()).toEqual([]);
    now = T0 + 10_000;
    expect(sim.snapshot().users[u.accountId]!.memberships[dir]).toBe("suspended");
    expect(sim.auditEvents()).toHaveLength(1);
  });
});

describe("snapshot: apply then undo returns the org to its exact prior state", () => {
  beforeEach(() => start());

  it("suspend/restore, group remove/re-add, role revoke/re-assign, disable/enable", async () => {
    const ws = confluence();
    const group = productGroup(ws);
    const a = person();
    const b = person((x) => x.groupIds.includes(group.id), [a]);
    const c = person((x) => x.directRoles.length > 0, [a, b]);
    const d = person(
      (x) => x.claimStatus === "managed" && x.managementSource !== "synced",
      [a, b, c],
    );
    const role = c.directRoles[0]!;
    const before = sim.snapshot();
    expect(before).toEqual(sim.snapshot()); // plain and repeatable
    expect(before.users[b.accountId]!.groupIds).toContain(group.id);

    const apply = [
      () => api.post(`${v2}/${dir}/users/${a.accountId}/suspend`),
      () => api.del(`${v2}/${dir}/groups/${group.id}/memberships/${b.accountId}`),
      () =>
        api.post(`/admin/v1/orgs/${org.id}/users/${c.accountId}/roles/revoke`, {
          role: role.role,
          resource: role.resourceId,
        }),
      () => api.post(`/users/${d.accountId}/manage/lifecycle/disable`, {}),
    ];
    const undo = [
      () => api.post(`${v2}/${dir}/users/${a.accountId}/restore`),
      () => api.post(`${v2}/${dir}/groups/${group.id}/memberships`, { accountId: b.accountId }),
      () =>
        api.post(`/admin/v1/orgs/${org.id}/users/${c.accountId}/roles/assign`, {
          role: role.role,
          resource: role.resourceId,
        }),
      () => api.post(`/users/${d.accountId}/manage/lifecycle/enable`),
    ];
    for (const w of apply) expect((await w()).status).toBe(204);
    const during = sim.snapshot();
    expect(during).not.toEqual(before);
    expect(during.users[a.accountId]!.memberships[dir]).toBe("suspended");
    expect(during.users[b.accountId]!.groupIds).not.toContain(group.id);
    expect(during.users[c.accountId]!.directRoles).not.toContain(`${role.role}@${role.resourceId}`);
    expect(during.users[d.accountId]).toMatchObject({
      accountStatus: "inactive",
      deactivatedOn: expect.any(String),
    });
    for (const w of undo) expect((await w()).status).toBe(204);
    expect(sim.snapshot()).toEqual(before);

    // Eight writes, eight events, each naming the request that made it.
    const events = sim.auditEvents();
    expect(events.map((e) => [e.request?.method, e.request?.route, e.targetId])).toEqual([
      ["POST", "users.suspend", a.accountId],
      ["DELETE", "groups.removeMember", b.accountId],
      ["POST", "userRoles.revoke", c.accountId],
      ["POST", "lifecycle.disable", d.accountId],
      ["POST", "users.restore", a.accountId],
      ["POST", "groups.addMember", b.accountId],
      ["POST", "userRoles.assign", c.accountId],
      ["POST", "lifecycle.enable", d.accountId],
    ]);
    expect(events[1]!.request!.path).toBe(
      `${v2}/${dir}/groups/${group.id}/memberships/${b.accountId}`,
    );
    // Copies: editing them does not touch the simulator.
    events.pop();
    expect(sim.auditEvents()).toHaveLength(8);
  });
});
