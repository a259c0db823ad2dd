import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DELETION_GRACE_MS, routeTable, startSimulator } from "../../../src/simulator/index.ts";
import type { RunningSimulator, SimOrg, SimUser } from "../../../src/simulator/index.ts";
import type {
  EventModel,
  EventPage,
  Group,
  Page,
  UserRoleAssignment,
  V2User,
} from "./api-types.ts";
import { client } from "./sim-client.ts";

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
let now = T0;
let sim: RunningSimulator;
let org: SimOrg;
let api: ReturnType<typeof client>;
let dir: string;
let v2: string;

beforeEach(async () => {
  now = T0;
  sim = await startSimulator({
    orgs: [{ users: 200, seed: "writes", now: T0 }],
    clock: () => now,
    legacyV1: "on",
  });
  org = sim.orgs[0]!;
  api = client(sim);
  dir = org.directories[0]!.directoryId;
  v2 = `/admin/v2/orgs/${org.id}/directories`;
});
afterEach(() => sim.close());

/** An active person in the primary directory, matching an extra condition. */
function person(extra: (u: SimUser) => boolean = () => true): SimUser {
  const u = org.users.find(
    (x) =>
      x.accountType === "atlassian" &&
      x.accountStatus === "active" &&
      !x.deletionScheduledAt &&
      x.memberships[dir] === "active" &&
      x.platformRoles.length === 0 &&
      extra(x),
  );
  if (!u) throw new Error("no matching user in the seed");
  return u;
}

async function details(accountId: string): Promise<V2User> {
  return (await api.get<{ data: V2User }>(`${v2}/-/users/${accountId}`)).body.data;
}

async function events(): Promise<EventModel[]> {
  return (await api.get<EventPage>(`/admin/v1/orgs/${org.id}/events?limit=100`)).body.data;
}

async function roleAssignments(accountId: string): Promise<UserRoleAssignment[]> {
  return (
    await api.get<Page<UserRoleAssignment>>(`${v2}/-/users/${accountId}/role-assignments?limit=100`)
  ).body.data;
}

describe("suspend, restore and remove (v2)", () => {
  it("suspends and restores without losing groups or roles", async () => {
    const u = person((x) => x.groupIds.length > 1);
    const groupsBefore = [...u.groupIds];
    const rolesBefore = await roleAssignments(u.accountId);

    const s = await api.post(`${v2}/${dir}/users/${u.accountId}/suspend`);
    expect(s.status).toBe(204);
    expect(s.text).toBe("");
    expect(await details(u.accountId)).toMatchObject({
      membershipStatus: "suspended",
      status: "suspended",
    });
    const search = await api.post<Page<V2User>>(`${v2}/-/users/search`, {
      accountIds: [u.accountId],
      expand: ["groups"],
    });
    expect(search.body.data[0]?.membershipStatus).toBe("suspended");
    expect(search.body.data[0]?.groups).toHaveLength(groupsBefore.length);

    expect((await api.post(`${v2}/${dir}/users/${u.accountId}/suspend`)).status).toBe(204); // idempotent
    const r = await api.post(`${v2}/${dir}/users/${u.accountId}/restore`);
    expect(r.status).toBe(204);
    expect(await details(u.accountId)).toMatchObject({
      membershipStatus: "active",
      status: "active",
    });
    expect(u.groupIds).toEqual(groupsBefore);
    expect(await roleAssignments(u.accountId)).toEqual(rolesBefore);

    const ev = await events();
    expect(ev.map((e) => e.attributes.action)).toEqual(["user_restored", "user_suspended"]);
    expect(ev[1]?.attributes.context[0]?.id).toBe(u.accountId);
  });

  it("removes an unmanaged user: gone from reads and from every group", async () => {
    const u = person(
      (x) =>
        x.claimStatus === "unmanaged" &&
        x.groupIds.length > 0 &&
        Object.keys(x.memberships).length === 1,
    );
    const groups = [...u.groupIds];
    const del = await api.del(`${v2}/${dir}/users/${u.accountId}`);
    expect(del.status).toBe(204);
    expect((await api.get(`${v2}/-/users/${u.accountId}`)).status).toBe(404);
    expect(org.users.some((x) => x.accountId === u.accountId)).toBe(false);
    for (const gid of groups) {
      const g = await api.post<Page<Group>>(`${v2}/-/groups/search`, {
        groupIds: [gid],
        expand: ["counts.users"],
      });
      expect(g.body.data[0]?.counts?.users).toBe(
        org.users.filter((x) => x.groupIds.includes(gid)).length,
      );
    }
    const members = await api.post<Page<V2User>>(`${v2}/-/users/search`, {
      groupIds: [groups[0]!],
      limit: 100,
    });
    expect(members.body.data.map((x) => x.accountId)).not.toContain(u.accountId);
    expect((await api.del(`${v2}/${dir}/users/${u.accountId}`)).status).toBe(404);
    expect((await events())[0]?.attributes.action).toBe("user_removed_from_directory");
  });

  it("keeps a removed managed account visible with no membership and no groups", async () => {
    const u = person(
      (x) =>
        x.claimStatus === "managed" &&
        Object.keys(x.memberships).length === 1 &&
        x.groupIds.length > 0,
    );
    expect((await api.del(`${v2}/${dir}/users/${u.accountId}`)).status).toBe(204);
    const d = await details(u.accountId);
    expect(d).toMatchObject({ membershipStatus: "no_membership", status: "not_invited" });
    expect(u.groupIds).toEqual([]);
    expect((await api.get(`${v2}/${dir}/users/${u.accountId}`)).status).toBe(404);
  });

  it("refuses '-' and unknown users for writes", async () => {
    const u = person();
    expect((await api.post(`${v2}/-/users/${u.accountId}/suspend`)).status).toBe(400);
    expect((await api.post(`${v2}/${dir}/users/ghost/suspend`)).status).toBe(404);
  });
});

describe("group memberships", () => {
  it("adds (409 'already' on repeat) and removes (404 when not a member)", async () => {
    const group = org.groups.find(
      (g) => !g.externalSynced && g.directoryId === dir && g.roles.length === 1,
    )!;
    const u = person((x) => !x.groupIds.includes(group.id));
    const path = `${v2}/${dir}/groups/${group.id}/memberships`;

    expect((await api.post(path, { accountId: u.accountId })).status).toBe(204);
    const roles = await roleAssignments(u.accountId);
    expect(roles.some((r) => r.resourceId === group.roles[0]!.resourceId)).toBe(true);
    const again = await api.post(path, { accountId: u.accountId });
    expect(again.status).toBe(409);
    expect(again.text).toMatch(/already/i);

    expect((await api.del(`${path}/${u.accountId}`)).status).toBe(204);
    expect(u.groupIds).not.toContain(group.id);
    expect((await api.del(`${path}/${u.accountId}`)).status).toBe(404);
    expect((await events()).map((e) => e.attributes.action)).toEqual([
      "group_member_removed",
      "group_member_added",
    ]);
  });

  it("refuses edits of IdP-synced groups and bad bodies", async () => {
    const synced = org.groups.find((g) => g.externalSynced)!;
    const u = person((x) => !x.groupIds.includes(synced.id));
    expect(
      (await api.post(`${v2}/${dir}/groups/${synced.id}/memberships`, { accountId: u.accountId }))
        .status,
    ).toBe(403);
    expect(
      (await api.post(`${v2}/${dir}/groups/${synced.id}/memberships`, { account_id: u.accountId }))
        .status,
    ).toBe(400);
    expect(
      (await api.post(`${v2}/${dir}/groups/nope/memberships`, { accountId: u.accountId })).status,
    ).toBe(404);
  });
});

describe("product roles and group lifecycle", () => {
  it("revoking a group's role removes that access from its members' role assignments", async () => {
    const group = org.groups.find(
      (g) => !g.isAdminGroup && !g.externalSynced && g.roles.length === 1,
    )!;
    const resourceId = group.roles[0]!.resourceId;
    const member = person(
      (x) =>
        x.groupIds.includes(group.id) && x.directRoles.every((r) => r.resourceId !== resourceId),
    );
    const viaGroup = (rows: UserRoleAssignment[]) =>
      rows.some(
        (r) =>
          r.resourceId === resourceId &&
          r.roleAssignments.some((a) => a.roleAssignmentMethods.includes("group_direct")),
      );
    expect(viaGroup(await roleAssignments(member.accountId))).toBe(true);

    const body = { resourceId, roleId: "atlassian/user" };
    const revoke = await api.post(`${v2}/${dir}/groups/${group.id}/role-assignments/revoke`, body);
    expect(revoke.status).toBe(204);
    const others = member.groupIds
      .filter((g) => g !== group.id)
      .flatMap((g) => org.groups.find((x) => x.id === g)?.roles ?? []);
    const stillGranted = others.some((r) => r.resourceId === resourceId);
    expect(viaGroup(await roleAssignments(member.accountId))).toBe(stillGranted);
    expect(member.groupIds).toContain(group.id); // membership itself is untouched

    expect(
      (await api.post(`${v2}/${dir}/groups/${group.id}/role-assignments/assign`, body)).status,
    ).toBe(200);
    expect(viaGroup(await roleAssignments(member.accountId))).toBe(true);
    expect((await events()).map((e) => e.attributes.action)).toEqual([
      "group_role_assigned",
      "group_role_revoked",
    ]);
  });

  it("creates a group, adds a member, deletes it and drops the membership", async () => {
    const created = await api.post<Group>(`${v2}/${dir}/groups`, { name: "dormant-review" });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const search = await api.post<Page<Group>>(`${v2}/-/groups/search`, {
      groupNames: ["dormant-review"],
    });
    expect(search.body.data.map((g) => g.id)).toEqual([id]);
    const u = person();
    expect(
      (await api.post(`${v2}/${dir}/groups/${id}/memberships`, { accountId: u.accountId })).status,
    ).toBe(204);
    expect(u.groupIds).toContain(id);
    expect((await api.del(`${v2}/${dir}/groups/${id}`)).status).toBe(204);
    expect(u.groupIds).not.toContain(id);
    expect(org.groups.some((g) => g.id === id)).toBe(false);
    expect((await api.post(`${v2}/${dir}/groups`, { name: "dormant-review" })).status).toBe(201);
  });

  it("grants and revokes a direct product role (v1 roles)", async () => {
    const ws = org.workspaces.find((w) => w.key === "confluence")!;
    const u = person((x) => !x.directRoles.some((r) => r.resourceId === ws.id));
    const path = `/admin/v1/orgs/${org.id}/users/${u.accountId}/roles`;
    const body = { role: "atlassian/user", resource: ws.id };
    expect((await api.post(`${path}/assign`, body)).status).toBe(204);
    const direct = (rows: UserRoleAssignment[]) =>
      rows.some(
        (r) =>
          r.resourceId === ws.id &&
          r.roleAssignments.some((a) => a.roleAssignmentMethods.includes("direct")),
      );
    expect(direct(await roleAssignments(u.accountId))).toBe(true);
    expect((await api.post(`${path}/revoke`, body)).status).toBe(204);
    expect(direct(await roleAssignments(u.accountId))).toBe(false);
    expect((await api.post(`${path}/assign`, { role: "atlassian/org-admin" })).status).toBe(204);
    expect(u.platformRoles).toContain("atlassian/org-admin");
  });
});

describe("user-management lifecycle", () => {
  const manageable = (x: SimUser) => x.claimStatus === "managed" && x.managementSource !== "synced";

  it("disables and enables a managed account", async () => {
    const u = person(manageable);
    const m = await api.get<Record<string, unknown>>(`/users/${u.accountId}/manage`);
    expect(m.body["lifecycle.enablement"]).toEqual({ allowed: true });
    expect(
      (await api.post(`/users/${u.accountId}/manage/lifecycle/disable`, { message: "bye" })).status,
    ).toBe(204);
    expect(await details(u.accountId)).toMatchObject({
      accountStatus: "inactive",
      status: "deactivated",
    });
    expect((await api.post(`/users/${u.accountId}/manage/lifecycle/enable`)).status).toBe(204);
    expect(await details(u.accountId)).toMatchObject({ accountStatus: "active", status: "active" });
    expect((await events()).map((e) => e.attributes.action)).toEqual([
      "account_reactivated",
      "account_deactivated",
    ]);
  });

  it("refuses unmanaged and SCIM-synced accounts with forbidden.action", async () => {
    const unmanaged = person((x) => x.claimStatus === "unmanaged");
    const r = await api.post(`/users/${unmanaged.accountId}/manage/lifecycle/disable`, {});
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      key: "forbidden.action",
      context: { allowed: false, reason: { key: "managedAccount" } },
    });
    const m = await api.get<Record<string, unknown>>(`/users/${unmanaged.accountId}/manage`);
    expect(m.body["lifecycle.enablement"]).toEqual({
      allowed: false,
      reason: { key: "managedAccount" },
    });
    const synced = person((x) => x.claimStatus === "managed" && x.managementSource === "synced");
    const s = await api.post(`/users/${synced.accountId}/manage/lifecycle/delete`);
    expect(s.body.context?.reason?.key).toBe("externalDirectory.scim");
    expect((await api.post(`/users/ghost/manage/lifecycle/enable`)).body).toEqual({
      key: "accountNotFound",
    });
    expect(unmanaged.accountStatus).toBe("active");
  });

  it("schedules deletion with a 14-day grace period, cancellable, then closes", async () => {
    const u = person(manageable);
    const del = await api.post(`/users/${u.accountId}/manage/lifecycle/delete`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ message: "Success" });
    expect((await details(u.accountId)).status).toBe("for_deletion");
    expect((await api.post(`/users/${u.accountId}/manage/lifecycle/enable`)).status).toBe(403);
    const cancel = await api.post(`/users/${u.accountId}/manage/lifecycle/cancel-delete`);
    expect(cancel.status).toBe(200);
    expect((await details(u.accountId)).status).toBe("active");

    await api.post(`/users/${u.accountId}/manage/lifecycle/delete`);
    now = T0 + DELETION_GRACE_MS - 1;
    expect((await details(u.accountId)).status).toBe("for_deletion");
    now = T0 + DELETION_GRACE_MS;
    expect(await details(u.accountId)).toMatchObject({
      accountStatus: "closed",
      status: "deactivated",
    });
    expect((await api.post(`/users/${u.accountId}/manage/lifecycle/cancel-delete`)).status).toBe(
      404,
    );
  });

  it("refuses to delete an org admin with conflict.lifecycleErrors", async () => {
    const admin = org.users.find(
      (x) => x.platformRoles.includes("atlassian/org-admin") && x.managementSource !== "synced",
    );
    if (!admin) return expect.fail("seed has no non-synced org admin");
    const r = await api.post(`/users/${admin.accountId}/manage/lifecycle/delete`);
    expect(r.status).toBe(409);
    expect(r.body.key).toBe("conflict.lifecycleErrors");
    expect(r.body.context?.accountId).toBe(admin.accountId);
  });
});

describe("legacy v1 directory writes", () => {
  it("serves 200 {message} when on", async () => {
    const u = person();
    const base = `/admin/v1/orgs/${org.id}/directory/users/${u.accountId}`;
    const s = await api.post(`${base}/suspend-access`);
    expect(s.status).toBe(200);
    expect(s.body.message).toBe(
      `Access to organization ${org.id} was suspended for user ${u.accountId}`,
    );
    expect((await details(u.accountId)).membershipStatus).toBe("suspended");
    const r = await api.post(`${base}/restore-access`);
    expect(r.body.message).toMatch(/was restored for user/);
    expect((await details(u.accountId)).membershipStatus).toBe("active");
    expect((await api.del(base)).status).toBe(204);
    expect(
      (await api.post(`/admin/v1/orgs/${org.id}/directory/users/ghost/suspend-access`)).status,
    ).toBe(404);
  });

  it("answers 410 when sunset and 404 when off", async () => {
    for (const [mode, status] of [
      ["sunset", 410],
      ["off", 404],
    ] as const) {
      const other = await startSimulator({ orgs: [{ users: 10, seed: "legacy" }], legacyV1: mode });
      try {
        const u = other.orgs[0]!.users[0]!;
        const r = await client(other).post(
          `/admin/v1/orgs/${other.orgId}/directory/users/${u.accountId}/suspend-access`,
        );
        expect(r.status).toBe(status);
        expect(r.body.code).toBe(status);
        expect(Object.values(u.memberships)).not.toContain("suspended");
      } finally {
        await other.close();
      }
    }
  });
});

describe("audit events", () => {
  it("every write route appends exactly one event naming its target", async () => {
    const u = person((x) => x.claimStatus === "managed" && x.managementSource !== "synced");
    const other = person((x) => x !== u);
    const ws = org.workspaces[0]!.id;
    const v1dir = `/admin/v1/orgs/${org.id}/directory/users/${other.accountId}`;
    let groupId = "";
    const group = () => `${v2}/${dir}/groups/${groupId}`;
    const manage = `/users/${u.accountId}/manage/lifecycle`;
    // [route name, request, expected status, expected action, target id]
    const steps: [string, () => Promise<{ status: number }>, number, string, () => string][] = [
      [
        "users.suspend",
        () => api.post(`${v2}/${dir}/users/${u.accountId}/suspend`),
        204,
        "user_suspended",
        () => u.accountId,
      ],
      [
        "users.restore",
        () => api.post(`${v2}/${dir}/users/${u.accountId}/restore`),
        204,
        "user_restored",
        () => u.accountId,
      ],
      [
        "groups.create",
        async () => {
          const r = await api.post<Group>(`${v2}/${dir}/groups`, { name: "audit-me" });
          groupId = r.body.id;
          return r;
        },
        201,
        "group_created",
        () => groupId,
      ],
      [
        "groups.assignRole",
        () =>
          api.post(`${group()}/role-assignments/assign`, {
            resourceId: ws,
            roleId: "atlassian/user",
          }),
        200,
        "group_role_assigned",
        () => groupId,
      ],
      [
        "groups.revokeRole",
        () =>
          api.post(`${group()}/role-assignments/revoke`, {
            resourceId: ws,
            roleId: "atlassian/user",
          }),
        204,
        "group_role_revoked",
        () => groupId,
      ],
      [
        "groups.addMember",
        () => api.post(`${group()}/memberships`, { accountId: u.accountId }),
        204,
        "group_member_added",
        () => u.accountId,
      ],
      [
        "groups.removeMember",
        () => api.del(`${group()}/memberships/${u.accountId}`),
        204,
        "group_member_removed",
        () => u.accountId,
      ],
      ["groups.delete", () => api.del(group()), 204, "group_deleted", () => groupId],
      [
        "userRoles.assign",
        () =>
          api.post(`/admin/v1/orgs/${org.id}/users/${u.accountId}/roles/assign`, {
            role: "atlassian/user",
            resource: ws,
          }),
        204,
        "user_role_assigned",
        () => u.accountId,
      ],
      [
        "userRoles.revoke",
        () =>
          api.post(`/admin/v1/orgs/${org.id}/users/${u.accountId}/roles/revoke`, {
            role: "atlassian/user",
            resource: ws,
          }),
        204,
        "user_role_revoked",
        () => u.accountId,
      ],
      [
        "lifecycle.disable",
        () => api.post(`${manage}/disable`, {}),
        204,
        "account_deactivated",
        () => u.accountId,
      ],
      [
        "lifecycle.enable",
        () => api.post(`${manage}/enable`),
        204,
        "account_reactivated",
        () => u.accountId,
      ],
      [
        "lifecycle.delete",
        () => api.post(`${manage}/delete`),
        200,
        "account_deletion_scheduled",
        () => u.accountId,
      ],
      [
        "lifecycle.cancelDelete",
        () => api.post(`${manage}/cancel-delete`),
        200,
        "account_deletion_canceled",
        () => u.accountId,
      ],
      [
        "v1.suspendAccess",
        () => api.post(`${v1dir}/suspend-access`),
        200,
        "user_suspended",
        () => other.accountId,
      ],
      [
        "v1.restoreAccess",
        () => api.post(`${v1dir}/restore-access`),
        200,
        "user_restored",
        () => other.accountId,
      ],
      [
        "v1.removeUser",
        () => api.del(v1dir),
        204,
        "user_removed_from_directory",
        () => other.accountId,
      ],
      [
        "users.remove",
        () => api.del(`${v2}/${dir}/users/${u.accountId}`),
        204,
        "user_removed_from_directory",
        () => u.accountId,
      ],
    ];
    const searches = new Set(["users.search", "groups.search", "workspaces.search"]);
    const writeRoutes = routeTable("on")
      .filter((r) => r.method !== "GET" && !searches.has(r.name))
      .map((r) => r.name);
    expect(steps.map((s) => s[0]).sort()).toEqual([...writeRoutes].sort());

    const expected: { action: string; target: string }[] = [];
    for (const [name, call, status, action, target] of steps) {
      expect((await call()).status, name).toBe(status);
      expected.push({ action, target: target() });
    }
    const got = (await events()).map((e) => ({
      action: e.attributes.action,
      target: e.attributes.context[0]!.id,
    }));
    expect(got).toEqual(expected.reverse());
    // The handle's copy names the request behind each event, in order.
    expect(sim.auditEvents().map((e) => e.request?.route)).toEqual(steps.map((s) => s[0]));
    expect(
      sim.auditEvents().every((e) => e.request?.at === e.time && e.request.path.startsWith("/")),
    ).toBe(true);
  });

  it("refused and no-op writes append nothing; a delayed write appends one event when it lands", async () => {
    const ws = org.workspaces.find((w) => w.key === "confluence")!;
    const group = org.groups.find(
      (g) =>
        g.directoryId === dir && !g.externalSynced && g.roles.some((r) => r.resourceId === ws.id),
    )!;
    const member = person((x) => x.groupIds.includes(group.id));
    const outsider = person(
      (x) =>
        x.claimStatus === "managed" &&
        x.managementSource !== "synced" &&
        !x.directRoles.some((r) => r.resourceId === ws.id) &&
        !x.groupIds.some((g) =>
          org.groups.find((y) => y.id === g)!.roles.some((r) => r.resourceId === ws.id),
        ),
    );
    sim.setLicenseLimit(0, ws.id, sim.seatsUsed(0, ws.id));
    const members = `${v2}/${dir}/groups/${group.id}/memberships`;
    const refused: [Promise<{ status: number }>, number][] = [
      [api.post(members, { accountId: member.accountId }), 409], // already a member
      [api.post(members, { accountId: outsider.accountId }), 409], // licence limit
      [
        api.post(`/admin/v1/orgs/${org.id}/users/${outsider.accountId}/roles/assign`, {
          role: "atlassian/user",
          resource: ws.id,
        }),
        409,
      ],
      [api.del(`${members}/${outsider.accountId}`), 404],
      [api.post(`${v2}/${dir}/users/ghost/suspend`), 404],
      [api.post(`/users/${outsider.accountId}/manage/lifecycle/enable`), 204], // already active
      [api.post(`${v2}/${dir}/users/${member.accountId}/restore`), 204], // already active
    ];
    for (const [call, status] of refused) expect((await call).status).toBe(status);
    expect(await events()).toEqual([]);

    sim.setFaults({ writeDelayMs: 60_000 });
    expect((await api.post(`${v2}/${dir}/users/${member.accountId}/suspend`)).status).toBe(204);
    expect((await api.post(`${v2}/${dir}/users/${member.accountId}/suspend`)).status).toBe(204);
    expect(await events()).toEqual([]);
    now = T0 + 60_000;
    const landed = await events();
    expect(landed.map((e) => [e.attributes.action, e.attributes.context[0]?.id])).toEqual([
      ["user_suspended", member.accountId],
    ]);
    expect(landed[0]!.attributes.time).toBe(new Date(T0 + 60_000).toISOString());
  });

  it("pages events newest first, fetches one by id and lists actions", async () => {
    const users = org.users.filter((x) => x.memberships[dir] === "active").slice(0, 5);
    for (const u of users) await api.post(`${v2}/${dir}/users/${u.accountId}/suspend`);
    const path = `/admin/v1/orgs/${org.id}/events`;
    const first = await api.get<EventPage>(`${path}?limit=2`);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.meta.page_size).toBe(2);
    const seen = [...first.body.data];
    let next: string | undefined = first.body.links.next;
    while (next) {
      const r: { body: EventPage } = await api.get<EventPage>(next);
      seen.push(...r.body.data);
      next = r.body.links.next;
    }
    expect(seen.map((e) => e.attributes.context[0]?.id)).toEqual(
      users.map((u) => u.accountId).reverse(),
    );
    const one = await api.get<{ data: EventModel }>(`${path}/${seen[0]!.id}`);
    expect(one.body.data.id).toBe(seen[0]!.id);
    expect((await api.get(`${path}/nope`)).status).toBe(404);
    const actions = await api.get<Page<{ id: string }>>(`/admin/v1/orgs/${org.id}/event-actions`);
    expect(actions.body.data.map((a) => a.id)).toContain("user_suspended");
    const filtered = await api.get<EventPage>(`${path}?action=user_restored`);
    expect(filtered.body.data).toEqual([]);
  });
});
