import { describe, expect, it } from "vitest";
import {
  addGroupMember,
  AtlassianApiError,
  collectItems,
  ConflictError,
  countUsers,
  deleteAccount,
  disableAccount,
  discoverOrgId,
  getLastActiveDates,
  getManagePermissions,
  getUser,
  LicenseLimitError,
  listDirectories,
  listGroupRoleAssignments,
  listUserRoleAssignments,
  NotFoundError,
  removeGroupMember,
  removeUser,
  restoreUser,
  SchemaError,
  searchGroupPages,
  searchUserPages,
  suspendUser,
} from "../../../src/atlassian/index.ts";
import { empty, json, stubClient, text } from "./stub-fetch.ts";

const specUser = {
  accountId: "12345678-1234-1234-1234-123456789012",
  accountType: "atlassian",
  status: "active",
  accountStatus: "active",
  membershipStatus: "active",
  addedToOrg: "2024-01-01T00:00:00.000Z",
  name: "John Doe",
  nickname: "Jonny",
  email: "email@example.com",
  emailVerified: true,
  claimStatus: "managed",
  platformRoles: ["atlassian/org-admin"],
  managementSource: "invited",
  mfaEnabled: true,
  department: null,
  counts: { resources: 10 },
  brandNewField: { whatever: 1 },
  productAccess: [
    {
      key: "confluence",
      id: "ari:cloud:confluence::site/1234",
      lastActiveTimestamp: "2025-11-06T23:07:29.936941226Z",
    },
    { key: "jira", id: "ari:cloud:jira::site/5678" },
  ],
  groups: [
    {
      id: "ari:cloud:identity::group/9233fb03-53cc-4463-9698-047aedbffb5c",
      name: "Engineering",
      description: "All engineers",
    },
  ],
  links: { self: "ECg53CukK1twBo0LK1u9nw" },
};

const err =
  (status: number, code: string, detail = "x") =>
  () =>
    json(status, { errors: [{ id: "i", status: String(status), code, title: "T", detail }] });

describe("v2 users: tolerant, typed, camelCase domain", () => {
  it("maps the spec example, keeps unknown keys from breaking anything, handles nanoseconds", async () => {
    const { client } = stubClient(() => json(200, { data: [specUser], links: { self: "s" } }));
    const [page] = await (async () => {
      const out = [];
      for await (const p of searchUserPages(client, {
        orgId: "o1",
        expand: ["productAccess", "groups", "platformRoles"],
      }))
        out.push(p);
      return out;
    })();
    const u = page!.items[0]!;
    expect(u).toMatchObject({
      accountId: specUser.accountId,
      status: "active",
      claimStatus: "managed",
      managementSource: "invited",
      platformRoles: ["atlassian/org-admin"],
      mfaEnabled: true,
      addedToOrg: new Date("2024-01-01T00:00:00.000Z"),
    });
    expect(u.productAccess).toEqual([
      {
        key: "confluence",
        id: "ari:cloud:confluence::site/1234",
        lastActiveKnown: true,
        lastActiveAt: new Date("2025-11-06T23:07:29.936Z"),
        lastActiveRaw: "2025-11-06T23:07:29.936941226Z",
      },
      {
        key: "jira",
        id: "ari:cloud:jira::site/5678",
        lastActiveKnown: false,
        lastActiveAt: undefined,
      },
    ]);
    expect(u.groups).toEqual([
      {
        id: "9233fb03-53cc-4463-9698-047aedbffb5c",
        ari: "ari:cloud:identity::group/9233fb03-53cc-4463-9698-047aedbffb5c",
        name: "Engineering",
        nameProvided: true,
        description: "All engineers",
      },
    ]);
    expect(u.notProvided).toEqual([]);
  });

  it("keeps open enums open (unknown status/type values pass)", async () => {
    const { client } = stubClient(() =>
      json(200, { data: [{ ...specUser, status: "quantum", accountType: "robot" }] }),
    );
    const items = await collectItems(searchUserPages(client, { orgId: "o1" }));
    expect(items[0]).toMatchObject({ status: "quantum", accountType: "robot" });
  });

  it("snake_case where camelCase is expected is a loud SchemaError naming the endpoint — never zero rows", async () => {
    const snake = (id: string) => ({
      account_id: id,
      account_type: "atlassian",
      account_status: "active",
      name: "A",
    });
    const { client } = stubClient(() => json(200, { data: [snake("a"), snake("b")], links: {} }));
    const e = await collectItems(searchUserPages(client, { orgId: "o1" })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SchemaError);
    expect((e as SchemaError).message).toContain(
      "POST /admin/v2/orgs/o1/directories/-/users/search",
    );
    expect((e as SchemaError).message).toContain("data.0.accountId");
    expect((e as SchemaError).message).toContain("account_id");
    expect((e as SchemaError).endpoint).toBe("users-search");
  });

  it("a body without `data` (or an empty/HTML 200) is a SchemaError, not an empty list", async () => {
    for (const res of [
      () => json(200, { users: [] }),
      () => empty(200),
      () => new Response("<html>hi</html>", { status: 200 }),
    ]) {
      const { client } = stubClient(res);
      await expect(collectItems(searchUserPages(client, { orgId: "o1" }))).rejects.toBeInstanceOf(
        SchemaError,
      );
    }
  });

  it("an unparsable timestamp rejects that record, naming the field and quoting the value", async () => {
    const bad = {
      ...specUser,
      productAccess: [{ key: "jira", id: "x", lastActiveTimestamp: "last tuesday" }],
    };
    const { client } = stubClient(() => json(200, { data: [bad] }));
    await expect(collectItems(searchUserPages(client, { orgId: "o1" }))).rejects.toThrow(
      /productAccess\.0\.lastActiveTimestamp: unparsable timestamp \(got "last tuesday"\)/,
    );
  });

  it("getUser and countUsers", async () => {
    const { client, calls } = stubClient([
      () =>
        json(200, {
          data: {
            ...specUser,
            productAccess: undefined,
            groups: undefined,
            deactivatedOn: "2025-01-02T03:04:05Z",
          },
        }),
      () => json(200, { count: 42 }),
    ]);
    const u = await getUser(client, { orgId: "o1", directoryId: "d1", accountId: "a:b|c" });
    expect(u.deactivatedOn?.toISOString()).toBe("2025-01-02T03:04:05.000Z");
    expect(u.productAccess).toBeUndefined();
    expect(calls[0]!.url.pathname).toBe("/admin/v2/orgs/o1/directories/d1/users/a%3Ab%7Cc");
    expect(await countUsers(client, { orgId: "o1", claimStatus: "managed" })).toBe(42);
    expect(calls[1]!.url.search).toBe("?claimStatus=managed");
  });
});

describe("last-active-dates", () => {
  it("products [] only from a successful call; old date-time last_active is reduced to its date", async () => {
    const { client } = stubClient([
      () => json(200, { data: { product_access: [] }, links: {} }),
      () =>
        json(200, {
          data: {
            product_access: [
              { id: "x", key: "jira-core", last_active: "2023-03-01T10:00:00Z", name: "old" },
            ],
          },
        }),
    ]);
    expect((await getLastActiveDates(client, { orgId: "o", accountId: "a" })).products).toEqual([]);
    expect(
      (await getLastActiveDates(client, { orgId: "o", accountId: "a" })).products[0],
    ).toMatchObject({ lastActiveDate: "2023-03-01" });
  });
  it("camelCase where snake_case is expected is a SchemaError", async () => {
    const { client } = stubClient(() => json(200, { data: { productAccess: [] } }));
    await expect(getLastActiveDates(client, { orgId: "o", accountId: "a" })).rejects.toThrow(
      /data\.product_access/,
    );
  });
  it("a product without id or key is a SchemaError for the whole read (a partial answer would read as 'not used')", async () => {
    const { client } = stubClient(() =>
      json(200, { data: { product_access: [{ key: "jira", last_active: "2026-01-01" }] } }),
    );
    await expect(getLastActiveDates(client, { orgId: "o", accountId: "a" })).rejects.toBeInstanceOf(
      SchemaError,
    );
  });
  it("an unknown user is NotFoundError, not 'never active'", async () => {
    const { client } = stubClient(err(404, "ADMIN-404-8"));
    await expect(getLastActiveDates(client, { orgId: "o", accountId: "a" })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe("orgs discovery", () => {
  it("returns the only org, and names every org when there are several or none", async () => {
    const org = (id: string) => ({ id, type: "orgs", attributes: { name: `N${id}` } });
    const one = stubClient(() => json(200, { data: [org("o1")], links: { self: "s" } }));
    expect(await discoverOrgId(one.client)).toBe("o1");
    const two = stubClient(() => json(200, { data: [org("o1"), org("o2")], links: {} }));
    await expect(discoverOrgId(two.client)).rejects.toThrow(
      /2 organizations.*o1 \(No1\), o2 \(No2\)/,
    );
    const none = stubClient(() => json(200, { data: [], links: {} }));
    await expect(discoverOrgId(none.client)).rejects.toBeInstanceOf(AtlassianApiError);
  });
});

describe("directories, groups and role assignments", () => {
  it("lists directories", async () => {
    const { client } = stubClient(() =>
      json(200, {
        data: [{ directoryId: "d1", name: "Primary", icon: "i" }],
        links: { self: "s" },
      }),
    );
    expect(await listDirectories(client, { orgId: "o1" })).toEqual([
      { directoryId: "d1", name: "Primary", icon: "i" },
    ]);
  });
  it("maps groups and flags IdP-managed ones", async () => {
    const { client } = stubClient(() =>
      json(200, {
        data: [
          {
            id: "g1",
            name: "jira-users",
            managementAccess: { modifiable: true },
            managedBy: "admins",
            counts: { users: 3 },
          },
          {
            id: "ari:cloud:identity::group/g2",
            name: "scim",
            externalSynced: true,
            managedBy: "external",
          },
        ],
      }),
    );
    const groups = await collectItems(searchGroupPages(client, { orgId: "o1" }));
    expect(groups.map((g) => [g.id, g.idpManaged])).toEqual([
      ["g1", false],
      ["g2", true],
    ]);
    expect(groups[0]!.counts).toEqual({ users: 3 });
  });
  it("group role assignments and user role assignments (with methods, falling back to deprecated roles)", async () => {
    const { client, calls } = stubClient([
      () =>
        json(200, {
          data: [
            {
              resourceId: "ari:cloud:jira-core::site/1",
              resourceOwner: "jira-core",
              defaultRole: null,
              roles: ["atlassian/user"],
            },
          ],
          links: { next: "n" },
        }),
      () => json(200, { data: [], links: {} }),
      () =>
        json(200, {
          data: [
            {
              resourceId: "r1",
              resourceOwner: "jira",
              roles: ["atlassian/user"],
              roleAssignments: [
                { role: "atlassian/user", roleAssignmentMethods: ["group_direct"] },
              ],
              directoryId: "d1",
              userDirectoryStatus: "active",
            },
            { resourceId: "r2", roles: ["atlassian/admin"], directoryId: null },
          ],
        }),
    ]);
    expect(
      await listGroupRoleAssignments(client, {
        orgId: "o1",
        directoryId: "d1",
        groupId: "ari:cloud:identity::group/g1",
      }),
    ).toEqual([
      {
        resourceId: "ari:cloud:jira-core::site/1",
        resourceOwner: "jira-core",
        defaultRole: undefined,
        roles: ["atlassian/user"],
      },
    ]);
    expect(calls[0]!.url.pathname).toBe(
      "/admin/v2/orgs/o1/directories/d1/groups/g1/role-assignments",
    );
    expect(calls[1]!.url.search).toBe("?cursor=n&limit=100");
    const roles = await listUserRoleAssignments(client, { orgId: "o1", accountId: "u1" });
    expect(roles[0]!.roles).toEqual([
      { role: "atlassian/user", methods: ["group_direct"], methodsKnown: true },
    ]);
    expect(roles[1]!.roles).toEqual([
      { role: "atlassian/admin", methods: [], methodsKnown: false },
    ]);
    expect(roles[1]!.directoryId).toBeUndefined();
  });
});

describe("idempotent writes", () => {
  const p = { orgId: "o1", directoryId: "d1", accountId: "u1" };
  it("suspend/restore: 204 → done; 409 'already' → already; other errors throw", async () => {
    expect(await suspendUser(stubClient(() => empty(204)).client, p)).toBe("done");
    expect(
      await suspendUser(
        stubClient(err(409, "ADMIN-409-28", "User is already suspended")).client,
        p,
      ),
    ).toBe("already");
    expect(
      await restoreUser(stubClient(err(400, "ADMIN-400-4", "User is already active")).client, p),
    ).toBe("already");
    await expect(suspendUser(stubClient(err(404, "ADMIN-404-8")).client, p)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
  it("remove: 404 ADMIN-404-8 → already; 404 for the org → error", async () => {
    const { client, calls } = stubClient(err(404, "ADMIN-404-8"));
    expect(await removeUser(client, p)).toBe("already");
    expect(calls[0]!.method).toBe("DELETE");
    await expect(removeUser(stubClient(err(404, "ADMIN-404-2")).client, p)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
  it("legacy fallback: v2 gone → v1 accepting 200 {message} or 204", async () => {
    const { client, calls } = stubClient([
      () => json(404, { code: 404, message: "Not Found" }),
      () => json(200, { message: "Access to organization o1 was suspended for user u1" }),
    ]);
    expect(await suspendUser(client, { ...p, legacyFallback: true })).toBe("done");
    expect(calls[1]!.url.pathname).toBe("/admin/v1/orgs/o1/directory/users/u1/suspend-access");
    const noFallback = stubClient(() => json(410, { code: 410, message: "Gone" }));
    await expect(suspendUser(noFallback.client, p)).rejects.toBeInstanceOf(AtlassianApiError);
    expect(noFallback.calls).toHaveLength(1);
  });
  it("legacy fallback: pre-2023 v1 204 on suspend/restore, v1 204 on remove, v1 404-8 on remove → already", async () => {
    const gone = () => json(405, { code: 405, message: "Method Not Allowed" });
    const r = stubClient([gone, () => empty(204)]);
    expect(await restoreUser(r.client, { ...p, legacyFallback: true })).toBe("done");
    expect(r.calls.map((c) => `${c.method} ${c.url.pathname}`)).toEqual([
      "POST /admin/v2/orgs/o1/directories/d1/users/u1/restore",
      "POST /admin/v1/orgs/o1/directory/users/u1/restore-access",
    ]);
    const s = stubClient([() => empty(404), () => empty(204)]);
    expect(await suspendUser(s.client, { ...p, legacyFallback: true })).toBe("done");
    expect(s.calls[1]!.url.pathname).toBe("/admin/v1/orgs/o1/directory/users/u1/suspend-access");
    const rm = stubClient([() => text(404, "<html>Not Found</html>"), () => empty(204)]);
    expect(await removeUser(rm.client, { ...p, legacyFallback: true })).toBe("done");
    expect(rm.calls.map((c) => `${c.method} ${c.url.pathname}`)).toEqual([
      "DELETE /admin/v2/orgs/o1/directories/d1/users/u1",
      "DELETE /admin/v1/orgs/o1/directory/users/u1",
    ]);
    const again = stubClient([gone, err(404, "ADMIN-404-8")]);
    expect(await removeUser(again.client, { ...p, legacyFallback: true })).toBe("already");
    expect(again.calls).toHaveLength(2);
  });
  it("legacy fallback never fires for a 404 the admin service answered (wrong directory, user, org)", async () => {
    // v1 has no directory in its path: falling back on a wrong directoryId would suspend the
    // user in every directory instead of failing.
    for (const code of ["ADMIN-404-1", "ADMIN-404-8", "ADMIN-404-2", "ADMIN-404-10"]) {
      const { client, calls } = stubClient([err(404, code), () => json(200, { message: "ok" })]);
      const e = await suspendUser(client, { ...p, legacyFallback: true }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(NotFoundError);
      expect((e as NotFoundError).code).toBe(code);
      expect(calls).toHaveLength(1);
    }
    // a bare ApplicationError (no `errors` wrapper) is the service too
    const bare = stubClient([
      () => json(404, { id: "x", code: "ADMIN-404-1", title: "Not Found", detail: "directory" }),
      () => empty(204),
    ]);
    await expect(restoreUser(bare.client, { ...p, legacyFallback: true })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(bare.calls).toHaveLength(1);
  });
  it("memberships: add 409 already → already; add 409 licence → ConflictError; remove 404 → already unless the group is missing", async () => {
    const m = { ...p, groupId: "g1" };
    const add = stubClient(err(409, "ADMIN-409-28", "The user is already in the group"));
    expect(await addGroupMember(add.client, m)).toBe("already");
    expect(add.calls[0]!.body).toEqual({ accountId: "u1" });
    const lic = await addGroupMember(
      stubClient(err(409, "ADMIN-409-3", "License limit exceeded")).client,
      m,
    ).catch((e: unknown) => e);
    expect(lic).toBeInstanceOf(LicenseLimitError);
    expect(lic).toBeInstanceOf(ConflictError);
    expect((lic as ConflictError).reason).toBe("license-limit");
    expect(await removeGroupMember(stubClient(err(404, "ADMIN-404-8")).client, m)).toBe("already");
    await expect(
      removeGroupMember(stubClient(err(404, "ADMIN-404-10")).client, m),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(await removeGroupMember(stubClient(() => empty(204)).client, m)).toBe("done");
  });
  it("lifecycle: user-management paths, bodies and permissions", async () => {
    const { client, calls } = stubClient([
      () => empty(204),
      () => json(200, { message: "Success" }),
      () =>
        json(200, {
          "lifecycle.enablement": { allowed: true },
          "lifecycle.delete": { allowed: false, reason: { key: "managedAccount" } },
          profile: { name: { allowed: true } },
        }),
      () =>
        json(409, {
          key: "conflict.lifecycleErrors",
          context: { message: "not eligible", errorCodes: [] },
        }),
    ]);
    expect(await disableAccount(client, { accountId: "u1", message: "On leave" })).toBe("done");
    expect(calls[0]!.url.pathname).toBe("/users/u1/manage/lifecycle/disable");
    expect(calls[0]!.body).toEqual({ message: "On leave" });
    expect(await deleteAccount(client, { accountId: "u1" })).toBe("done");
    expect(await getManagePermissions(client, { accountId: "u1" })).toEqual({
      "lifecycle.enablement": { allowed: true, reason: undefined },
      "lifecycle.delete": { allowed: false, reason: "managedAccount" },
    });
    const e = await deleteAccount(client, { accountId: "u1" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConflictError);
    expect((e as ConflictError).reason).toBe("other");
    expect((e as ConflictError).code).toBe("conflict.lifecycleErrors");
  });
});
