import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DirectoryUser } from "../../../src/atlassian/index.ts";
import {
  addGroupMember,
  cancelDeleteAccount,
  collectItems,
  countUsers,
  deleteAccount,
  disableAccount,
  discoverOrgId,
  enableAccount,
  getLastActiveDates,
  getManagePermissions,
  getOrg,
  getUser,
  listDirectories,
  listEvents,
  listGroupRoleAssignments,
  listOrgs,
  listUserRoleAssignments,
  listWorkspaces,
  NotFoundError,
  removeGroupMember,
  removeUser,
  restoreUser,
  searchGroupPages,
  searchUserPages,
  searchWorkspacePages,
  suspendUser,
} from "../../../src/atlassian/index.ts";
import type { RunningSimulator, SimOrg, SimUser } from "../../../src/simulator/index.ts";
import { startWithClient } from "./sim-client.ts";

let sim: RunningSimulator;
let client: Awaited<ReturnType<typeof startWithClient>>["client"];
let orgId: string;
let org: SimOrg;
let dir: string;

beforeAll(async () => {
  ({ sim, client, orgId } = await startWithClient(
    { lastActivePageSize: 2, rateLimits: { eventsPerMinute: 100_000 } },
    { rateLimits: { eventsPerMinute: 100_000 } },
  ));
  org = sim.orgs[0]!;
  dir = org.directories[0]!.directoryId;
});
afterAll(() => sim.close());

const secondsIso = (iso: string) => new Date(`${iso.slice(0, 19)}Z`);
const msDate = (iso: string) => new Date(Date.parse(iso.replace(/(\.\d{3})\d+Z$/, "$1Z")));

/** A person who can be suspended, moved between groups and deactivated. */
function manageableUser(exclude: string[] = []): SimUser {
  const u = org.users.find(
    (x) =>
      !exclude.includes(x.accountId) &&
      x.accountType === "atlassian" &&
      x.accountStatus === "active" &&
      x.claimStatus === "managed" &&
      x.managementSource !== "synced" &&
      x.memberships[dir] === "active" &&
      x.platformRoles.length === 0,
  );
  if (!u) throw new Error("seed has no manageable user");
  return u;
}

describe("orgs and directories", () => {
  it("lists, gets and discovers the org", async () => {
    expect(await listOrgs(client)).toEqual([{ id: orgId, name: org.name }]);
    expect(await getOrg(client, { orgId })).toEqual({ id: orgId, name: org.name });
    expect(await discoverOrgId(client)).toBe(orgId);
    await expect(getOrg(client, { orgId: "not-an-org" })).rejects.toBeInstanceOf(NotFoundError);
  });
  it("lists directories", async () => {
    expect(await listDirectories(client, { orgId })).toEqual(org.directories);
  });
});

describe("users", () => {
  let users: DirectoryUser[];
  beforeAll(async () => {
    users = [];
    let pages = 0;
    for await (const page of searchUserPages(client, {
      orgId,
      expand: ["productAccess", "groups", "platformRoles"],
      limit: 7,
    })) {
      pages++;
      users.push(...page.items);
    }
    expect(pages).toBeGreaterThan(1);
  });

  it("search walks every page and agrees with the count", async () => {
    expect(users.length).toBe(await countUsers(client, { orgId }));
    expect(new Set(users.map((u) => u.accountId)).size).toBe(users.length);
  });

  it("search returns each user's products and groups exactly as the ground truth", () => {
    let withActivity = 0;
    for (const u of users) {
      const truth = org.users.find((x) => x.accountId === u.accountId)!;
      expect(u.name).toBe(truth.name);
      expect(u.email).toBe(truth.email);
      expect(u.claimStatus).toBe(truth.claimStatus);
      expect(u.platformRoles).toEqual(truth.platformRoles);
      expect(
        u.productAccess?.map((p) => [p.id, p.lastActiveRaw, p.lastActiveAt?.getTime()]),
      ).toEqual(
        truth.activity.map((a) => [
          a.workspaceId,
          a.lastActiveAt,
          msDate(a.lastActiveAt).getTime(),
        ]),
      );
      expect(u.groups?.map((g) => g.id).sort()).toEqual([...truth.groupIds].sort());
      if (truth.activity.length > 0) withActivity++;
    }
    expect(withActivity).toBeGreaterThan(0);
  });

  it("getUser returns details", async () => {
    const truth = manageableUser();
    const u = await getUser(client, { orgId, directoryId: dir, accountId: truth.accountId });
    expect(u).toMatchObject({
      accountId: truth.accountId,
      name: truth.name,
      accountStatus: "active",
    });
    await expect(getUser(client, { orgId, accountId: "nobody" })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("last-active-dates walks its cursor and matches the ground truth", async () => {
    const truth = [...org.users].sort((a, b) => b.activity.length - a.activity.length)[0]!;
    expect(truth.activity.length).toBeGreaterThan(2); // page size 2 ⇒ several pages
    const r = await getLastActiveDates(client, { orgId, accountId: truth.accountId });
    expect(r.addedToOrg?.getTime()).toBe(secondsIso(truth.addedToOrg).getTime());
    expect(r.products.map((p) => [p.id, p.lastActiveDate, p.lastActiveAt?.getTime()])).toEqual(
      truth.activity.map((a) => [
        a.workspaceId,
        a.lastActiveAt.slice(0, 10),
        secondsIso(a.lastActiveAt).getTime(),
      ]),
    );
    const idle = org.users.find((u) => u.activity.length === 0 && u.memberships[dir]);
    if (idle)
      expect(
        (await getLastActiveDates(client, { orgId, accountId: idle.accountId })).products,
      ).toEqual([]);
  });

  it("user role assignments include what the user's groups grant", async () => {
    const truth = org.users.find(
      (u) =>
        u.memberships[dir] &&
        u.groupIds.some((g) => org.groups.find((x) => x.id === g)!.roles.length > 0),
    )!;
    const roles = await listUserRoleAssignments(client, {
      orgId,
      directoryId: dir,
      accountId: truth.accountId,
    });
    const granted = truth.groupIds.flatMap((g) =>
      org.groups.find((x) => x.id === g)!.roles.map((r) => r.resourceId),
    );
    for (const resourceId of granted) expect(roles.map((r) => r.resourceId)).toContain(resourceId);
    expect(roles.flatMap((r) => r.roles.flatMap((x) => x.methods))).toContain("group_direct");
  });
});

describe("workspaces and groups", () => {
  it("lists every workspace", async () => {
    const ws = await listWorkspaces(client, { orgId });
    expect(ws.map((w) => [w.id, w.typeKey, w.hostUrl])).toEqual(
      org.workspaces.map((w) => [w.id, w.key, w.hostUrl]),
    );
    expect(ws[0]!.url).toMatch(/^https:\/\//);
  });

  it("pages through workspaces one at a time with a query (family D)", async () => {
    const confluence = org.workspaces.filter((w) => w.key === "confluence");
    expect(confluence.length).toBeGreaterThan(1);
    const pages = [];
    for await (const p of searchWorkspacePages(client, {
      orgId,
      limit: 1,
      query: { field: { name: "attributes.typeKey", values: ["confluence"] } },
    }))
      pages.push(p);
    expect(pages.length).toBe(confluence.length);
    expect(pages.flatMap((p) => p.items.map((w) => w.id))).toEqual(confluence.map((w) => w.id));
    expect(pages.at(-1)!.nextCursor).toBeUndefined();
  });

  it("searches every group and reads what each grants", async () => {
    const groups = await collectItems(
      searchGroupPages(client, { orgId, directoryId: dir, limit: 3 }),
    );
    const truth = org.groups.filter((g) => g.directoryId === dir);
    expect(groups.map((g) => g.id).sort()).toEqual(truth.map((g) => g.id).sort());
    for (const g of groups)
      expect(g.idpManaged).toBe(truth.find((t) => t.id === g.id)!.externalSynced);
    const withRoles = truth.find((g) => g.roles.length > 0)!;
    const ra = await listGroupRoleAssignments(client, {
      orgId,
      directoryId: dir,
      groupId: withRoles.id,
    });
    expect(ra.flatMap((r) => r.roles.map((role) => `${r.resourceId} ${role}`)).sort()).toEqual(
      withRoles.roles.map((r) => `${r.resourceId} ${r.role}`).sort(),
    );
  });
});

describe("writes are idempotent and reach the ground truth", () => {
  it("suspend, restore, remove", async () => {
    const u = manageableUser();
    const p = { orgId, directoryId: dir, accountId: u.accountId };
    expect(await suspendUser(client, p)).toBe("done");
    expect(u.memberships[dir]).toBe("suspended");
    // v2 answers 204 again; only a precheck can tell that it was already suspended
    expect(["done", "already"]).toContain(await suspendUser(client, p));
    expect(await suspendUser(client, { ...p, precheck: true })).toBe("already");
    expect(await restoreUser(client, { ...p, precheck: true })).toBe("done");
    expect(await restoreUser(client, { ...p, precheck: true })).toBe("already");
    expect(await suspendUser(client, p)).toBe("done");
    expect(await restoreUser(client, p)).toBe("done");
    expect(u.memberships[dir]).toBe("active");
    expect(await removeUser(client, p)).toBe("done");
    expect(u.memberships[dir]).toBeUndefined();
    expect(await removeUser(client, p)).toBe("already");
  });

  it("group membership add/remove, twice each", async () => {
    const g = org.groups.find(
      (x) => x.directoryId === dir && !x.externalSynced && !x.isAdminGroup,
    )!;
    const u = org.users.find(
      (x) =>
        x.accountType === "atlassian" &&
        x.memberships[dir] === "active" &&
        x.accountStatus === "active" &&
        !x.groupIds.includes(g.id),
    )!;
    const p = { orgId, directoryId: dir, groupId: g.id, accountId: u.accountId };
    expect(await addGroupMember(client, p)).toBe("done");
    expect(u.groupIds).toContain(g.id);
    expect(await addGroupMember(client, p)).toBe("already");
    expect(await removeGroupMember(client, p)).toBe("done");
    expect(u.groupIds).not.toContain(g.id);
    expect(await removeGroupMember(client, p)).toBe("already");
  });

  it("lifecycle: permissions, disable, enable, delete, cancel-delete", async () => {
    const u = manageableUser([
      org.users.find((x) => x.memberships[dir] === undefined)?.accountId ?? "",
    ]);
    const perms = await getManagePermissions(client, { orgId, accountId: u.accountId });
    expect(perms["lifecycle.enablement"]).toEqual({ allowed: true, reason: undefined });
    expect(await disableAccount(client, { accountId: u.accountId, message: "dormant" })).toBe(
      "done",
    );
    expect(u.accountStatus).toBe("inactive");
    expect(await enableAccount(client, { accountId: u.accountId })).toBe("done");
    expect(u.accountStatus).toBe("active");
    expect(await deleteAccount(client, { accountId: u.accountId })).toBe("done");
    expect(u.deletionScheduledAt).not.toBeNull();
    expect(await cancelDeleteAccount(client, { accountId: u.accountId })).toBe("done");
    expect(u.deletionScheduledAt).toBeNull();
  });

  it("the audit log shows the writes, paged", async () => {
    const pages = [];
    for await (const p of listEvents(client, { orgId, limit: 2 })) pages.push(p);
    const events = pages.flatMap((p) => p.items);
    expect(pages.length).toBeGreaterThan(1);
    expect(events.length).toBe(org.events.length);
    expect(new Set(events.map((e) => e.action))).toEqual(new Set(org.events.map((e) => e.action)));
    const suspended = [];
    for await (const p of listEvents(client, { orgId, action: "user_suspended" }))
      suspended.push(...p.items);
    expect(suspended.length).toBeGreaterThan(0);
    expect(suspended.every((e) => e.action === "user_suspended")).toBe(true);
  });
});
