import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../../src/simulator/index.ts";
import type { RunningSimulator, SimOrg, SimUser } from "../../../src/simulator/index.ts";
import type {
  Group,
  LastActivePage,
  OrgModel,
  Page,
  UserRoleAssignment,
  V1UserPage,
  V2User,
  WorkspacePage,
} from "./api-types.ts";
import { client } from "./sim-client.ts";

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
let sim: RunningSimulator;
let org: SimOrg;
let api: ReturnType<typeof client>;
let v2: string;

/** Users the v2 `-` scope shows: people (v2 `AccountType` is `atlassian` only) who are
 * directory members or managed accounts. */
const visible = (u: SimUser) =>
  u.accountType === "atlassian" &&
  (Object.keys(u.memberships).length > 0 || u.claimStatus === "managed");
const truthOf = (accountId: string): SimUser => {
  const u = org.users.find((x) => x.accountId === accountId);
  if (!u) throw new Error(`unknown account ${accountId}`);
  return u;
};

beforeAll(async () => {
  sim = await startSimulator({
    orgs: [{ users: 300, seed: "reads", now: NOW }],
    clock: () => NOW,
    v1UsersPageSize: 40,
  });
  org = sim.orgs[0]!;
  api = client(sim);
  v2 = `/admin/v2/orgs/${org.id}/directories`;
});
afterAll(() => sim.close());

async function searchAll(body: Record<string, unknown>, dir = "-"): Promise<V2User[]> {
  const items: V2User[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const r = await api.post<Page<V2User>>(`${v2}/${dir}/users/search`, cursor ? { cursor } : body);
    expect(r.status).toBe(200);
    items.push(...r.body.data);
    cursor = r.body.links?.next;
    if (!cursor) return items;
  }
  throw new Error("pagination did not end");
}

describe("orgs and directories", () => {
  it("lists the key's single org and gets it by id", async () => {
    const list = await api.get<Page<OrgModel>>("/admin/v1/orgs");
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({
      id: org.id,
      type: "orgs",
      attributes: { name: org.name },
    });
    const one = await api.get<{ data: OrgModel }>(`/admin/v1/orgs/${org.id}`);
    expect(one.body.data.id).toBe(org.id);
    const missing = await api.get("/admin/v1/orgs/not-my-org");
    expect(missing.status).toBe(404);
    expect(missing.body.errors?.[0]?.code).toBe("ADMIN-404-2");
  });

  it("lists the directories", async () => {
    const r = await api.get<Page<{ directoryId: string }>>(`/admin/v2/orgs/${org.id}/directories`);
    expect(r.status).toBe(200);
    expect(r.body.data.map((d) => d.directoryId)).toEqual(
      org.directories.map((d) => d.directoryId),
    );
  });
});

describe("v2 users", () => {
  it("pages through every visible user exactly once, in order", async () => {
    const items = await searchAll({ limit: 37 });
    const ids = items.map((u) => u.accountId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(org.users.filter(visible).map((u) => u.accountId));
  });

  it("expands productAccess from the same ground truth as the activity", async () => {
    const items = await searchAll({
      limit: 100,
      expand: ["productAccess", "groups", "platformRoles"],
    });
    for (const item of items) {
      const truth = truthOf(item.accountId);
      expect(item.productAccess?.map((p) => [p.id, p.lastActiveTimestamp])).toEqual(
        truth.activity.map((a) => [a.workspaceId, a.lastActiveAt]),
      );
      expect(item.groups?.map((g) => g.id.split("/").pop())).toEqual(truth.groupIds);
      expect(item.platformRoles).toEqual(truth.platformRoles);
    }
    const stamps = items.flatMap((i) => i.productAccess ?? []).map((p) => p.lastActiveTimestamp);
    expect(stamps.length).toBeGreaterThan(0);
    expect(stamps.every((s) => /\.\d{9}Z$/.test(s ?? ""))).toBe(true);
    const plain = await api.post<Page<V2User>>(`${v2}/-/users/search`, { limit: 1 });
    expect(plain.body.data[0]?.productAccess).toBeUndefined();
  });

  it("filters by status, claim status, emails and directory", async () => {
    const suspended = await searchAll({ status: ["suspended"], limit: 100 });
    const expected = org.users.filter(
      (u) =>
        visible(u) &&
        u.accountStatus === "active" &&
        !u.deletionScheduledAt &&
        Object.values(u.memberships).length > 0 &&
        Object.values(u.memberships).every((m) => m === "suspended"),
    );
    expect(suspended.map((u) => u.accountId).sort()).toEqual(
      expected.map((u) => u.accountId).sort(),
    );
    expect(suspended.length).toBeGreaterThan(0);
    expect(suspended.every((u) => u.membershipStatus === "suspended")).toBe(true);

    const managed = await searchAll({ claimStatus: "managed", limit: 100 });
    expect(managed.length).toBe(org.users.filter((u) => u.claimStatus === "managed").length);

    const target = org.users.filter(visible)[5]!;
    const byEmail = await api.post<Page<V2User>>(`${v2}/-/users/search`, {
      emails: [target.email.toUpperCase()],
    });
    expect(byEmail.body.data.map((u) => u.accountId)).toEqual([target.accountId]);

    const primary = org.directories[0]!.directoryId;
    const inPrimary = await searchAll({ limit: 100 }, primary);
    expect(inPrimary.length).toBe(
      org.users.filter((u) => visible(u) && u.memberships[primary]).length,
    );
  });

  it("sorts by nickname when asked", async () => {
    const items = await searchAll({
      limit: 100,
      sortBy: [{ field: "nick_name", direction: "desc" }],
    });
    const nicks = items.map((u) => u.nickname);
    expect(nicks).toEqual([...nicks].sort((a, b) => b.localeCompare(a)));
  });

  it("rejects bad requests and cursors with documented errors", async () => {
    const both = await api.post(`${v2}/-/users/search`, { searchTerm: "a", emails: ["a@b.c"] });
    expect(both.status).toBe(400);
    const tooMany = await api.post(`${v2}/-/users/search`, { limit: 101 });
    expect(tooMany.status).toBe(400);
    const stale = await api.post(`${v2}/-/users/search`, { cursor: "not-a-cursor" });
    expect(stale.status).toBe(400);
    expect(stale.body.errors?.[0]?.code).toBe("ADMIN-400-1");
    // A cursor minted by another endpoint is foreign here.
    const groups = await api.post<Page<Group>>(`${v2}/-/groups/search`, { limit: 1 });
    const foreign = await api.post(`${v2}/-/users/search`, { cursor: groups.body.links?.next });
    expect(foreign.body.errors?.[0]?.code).toBe("ADMIN-400-1");
    const unknownDir = await api.post(`${v2}/nope/users/search`, {});
    expect(unknownDir.status).toBe(404);
  });

  it("cursors survive a restart with the same seed", async () => {
    const first = await api.post<Page<V2User>>(`${v2}/-/users/search`, { limit: 10 });
    const again = await startSimulator({
      orgs: [{ users: 300, seed: "reads", now: NOW }],
      clock: () => NOW,
    });
    try {
      const second = await client(again).post<Page<V2User>>(`${v2}/-/users/search`, {
        cursor: first.body.links?.next,
      });
      expect(second.status).toBe(200);
      expect(second.body.data[0]?.accountId).toBe(org.users.filter(visible)[10]!.accountId);
    } finally {
      await again.close();
    }
  });

  it("gets details, counts and the deprecated list", async () => {
    const u = org.users.find((x) => x.deactivatedOn)!;
    const details = await api.get<{ data: V2User }>(`${v2}/-/users/${u.accountId}`);
    expect(details.status).toBe(200);
    expect(details.body.data).toMatchObject({
      accountId: u.accountId,
      status: "deactivated",
      deactivatedOn: u.deactivatedOn,
    });
    expect((await api.get(`${v2}/-/users/nobody`)).status).toBe(404);

    const count = await api.get<{ count: number }>(`${v2}/-/users/count`);
    expect(count.body.count).toBe(org.users.filter(visible).length);
    const unmanaged = await api.get<{ count: number }>(`${v2}/-/users/count?claimStatus=unmanaged`);
    expect(unmanaged.body.count).toBe(
      org.users.filter((x) => x.claimStatus === "unmanaged" && visible(x)).length,
    );

    const list = await api.get<Page<V2User>>(`${v2}/-/users?limit=7`);
    expect(list.body.data).toHaveLength(7);
    const next = await api.get<Page<V2User>>(
      `${v2}/-/users?cursor=${encodeURIComponent(list.body.links?.next ?? "")}`,
    );
    expect(next.body.data[0]?.accountId).toBe(org.users.filter(visible)[7]!.accountId);
  });

  it("explains product access through user role assignments", async () => {
    const u = org.users.find(
      (x) => x.directRoles.length > 0 && x.groupIds.length > 0 && x.accountType === "atlassian",
    )!;
    const r = await api.get<Page<UserRoleAssignment>>(
      `${v2}/-/users/${u.accountId}/role-assignments?limit=100`,
    );
    expect(r.status).toBe(200);
    const methods = new Set(
      r.body.data.flatMap((a) => a.roleAssignments.flatMap((x) => x.roleAssignmentMethods)),
    );
    expect(methods.has("direct")).toBe(true);
    expect(methods.has("group_direct")).toBe(true);
    for (const role of u.directRoles) {
      expect(r.body.data.some((a) => a.resourceId === role.resourceId)).toBe(true);
    }
  });
});

describe("last-active-dates", () => {
  it("pages a heavy user's products with the cursor and matches v2 productAccess", async () => {
    const u = org.users.find((x) => x.activity.length > 5)!;
    const got: LastActivePage["data"]["product_access"] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
      const r = await api.get<LastActivePage>(
        `/admin/v1/orgs/${org.id}/directory/users/${u.accountId}/last-active-dates${q}`,
      );
      expect(r.status).toBe(200);
      got.push(...r.body.data.product_access);
      cursor = r.body.links?.next;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
    expect(got.map((p) => p.id)).toEqual(u.activity.map((a) => a.workspaceId));
    for (const [i, p] of got.entries()) {
      const truth = u.activity[i]!.lastActiveAt;
      expect(p.last_active).toBe(truth.slice(0, 10));
      expect(p.last_active_timestamp).toBe(`${truth.slice(0, 19)}Z`);
      expect(p.key).toBe(org.workspaces.find((w) => w.id === p.id)!.key);
    }
    const v2view = await api.post<Page<V2User>>(`${v2}/-/users/search`, {
      accountIds: [u.accountId],
      expand: ["productAccess"],
    });
    const v2dates = v2view.body.data[0]?.productAccess?.map((p) => [
      p.id,
      p.lastActiveTimestamp?.slice(0, 10),
    ]);
    expect(v2dates).toEqual(got.map((p) => [p.id, p.last_active]));
  });

  it("returns an empty product_access for a never-active user, with added_to_org", async () => {
    const u = org.users.find((x) => x.activity.length === 0)!;
    const r = await api.get<LastActivePage>(
      `/admin/v1/orgs/${org.id}/directory/users/${u.accountId}/last-active-dates`,
    );
    expect(r.body.data.product_access).toEqual([]);
    expect(r.body.data.added_to_org).toBe(u.addedToOrg.slice(0, 10));
    expect(r.body.links).toBeUndefined();
  });

  it("answers 404 ADMIN-404-8 for an unknown user and 400 for a bad cursor", async () => {
    const r = await api.get(`/admin/v1/orgs/${org.id}/directory/users/ghost/last-active-dates`);
    expect(r.status).toBe(404);
    expect(r.body.errors?.[0]?.code).toBe("ADMIN-404-8");
    const u = org.users[0]!;
    const bad = await api.get(
      `/admin/v1/orgs/${org.id}/directory/users/${u.accountId}/last-active-dates?cursor=zzz`,
    );
    expect(bad.body.errors?.[0]?.code).toBe("ADMIN-400-1");
  });
});

describe("groups, workspaces and v1 users", () => {
  it("searches every group with member counts and lists group role assignments", async () => {
    const groups: Group[] = [];
    let cursor: string | undefined;
    do {
      const r = await api.post<Page<Group>>(
        `${v2}/-/groups/search`,
        cursor ? { cursor } : { limit: 5, expand: ["counts.users"] },
      );
      groups.push(...r.body.data);
      cursor = r.body.links?.next;
    } while (cursor);
    expect(groups.map((g) => g.id)).toEqual(org.groups.map((g) => g.id));
    for (const g of groups) {
      expect(g.counts?.users).toBe(org.users.filter((u) => u.groupIds.includes(g.id)).length);
    }
    const synced = org.groups.find((g) => g.externalSynced)!;
    expect(groups.find((g) => g.id === synced.id)).toMatchObject({
      externalSynced: true,
      managedBy: "external",
      managementAccess: { modifiable: false },
    });

    const productGroup = org.groups.find(
      (g) => g.roles.length === 1 && g.roles[0]!.role === "atlassian/user",
    )!;
    const resourceId = productGroup.roles[0]!.resourceId;
    const roles = await api.get<Page<unknown>>(
      `${v2}/-/groups/${productGroup.id}/role-assignments`,
    );
    expect(roles.body.data).toEqual([
      {
        resourceId,
        resourceOwner: org.workspaces.find((w) => w.id === resourceId)!.resourceOwner,
        defaultRole: "atlassian/user",
        roles: ["atlassian/user"],
      },
    ]);
    const byName = await api.post<Page<Group>>(`${v2}/-/groups/search`, {
      groupNames: [productGroup.name.toUpperCase()],
    });
    expect(byName.body.data.map((g) => g.id)).toEqual([productGroup.id]);
    const details = await api.get<{ data: Group }>(`${v2}/-/groups/${productGroup.id}`);
    expect(details.body.data.id).toBe(productGroup.id);
    expect((await api.get(`${v2}/-/groups/nope`)).status).toBe(404);
    expect((await api.get<{ count: number }>(`${v2}/-/groups/count`)).body.count).toBe(
      org.groups.length,
    );
  });

  it("lists workspaces with cursor-only follow-up pages", async () => {
    const path = `/admin/v2/orgs/${org.id}/workspaces`;
    const seen: WorkspacePage["data"] = [];
    let r = await api.post<WorkspacePage>(path, { limit: 2 });
    seen.push(...r.body.data);
    expect(r.body.meta).toMatchObject({
      pageSize: 2,
      startIndex: 0,
      endIndex: 1,
      total: org.workspaces.length,
    });
    while (r.body.links.next) {
      r = await api.post<WorkspacePage>(path, { cursor: r.body.links.next });
      expect(r.status).toBe(200);
      seen.push(...r.body.data);
    }
    expect(seen.map((w) => w.id)).toEqual(org.workspaces.map((w) => w.id));
    expect(seen[0]?.attributes.hostUrl).toBe(org.workspaces[0]!.hostUrl);

    const mixed = await api.post(path, { cursor: "abc", limit: 2 });
    expect(mixed.status).toBe(400);
    expect(mixed.body.code).toBe("ADMIN-400-4");
    const conf = await api.post<WorkspacePage>(path, {
      query: { field: { name: "attributes.typeKey", values: ["confluence"] } },
    });
    expect(conf.body.data.map((w) => w.id)).toEqual(
      org.workspaces.filter((w) => w.key === "confluence").map((w) => w.id),
    );
  });

  it("lists managed accounts only on v1 /users, following links.next URLs", async () => {
    const managed = org.users.filter((u) => u.claimStatus === "managed");
    const seen: V1UserPage["data"] = [];
    let next: string | undefined = `${sim.url}/admin/v1/orgs/${org.id}/users`;
    while (next) {
      const r: { body: V1UserPage } = await api.get<V1UserPage>(next);
      expect(r.body.meta.total).toBe(managed.length);
      seen.push(...r.body.data);
      next = r.body.links.next;
    }
    expect(seen.map((u) => u.account_id)).toEqual(managed.map((u) => u.accountId));
    const active = seen.find((u) => u.product_access.length > 0);
    expect(active).toHaveProperty("last_active");
  });
});
