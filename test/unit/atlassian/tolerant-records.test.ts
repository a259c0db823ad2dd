/**
 * Everything the 2026-09-24 spec allows is accepted, one unusable record never sinks its page,
 * and a field the API left out comes back as "unknown" (undefined / a flag), never as "none".
 */
import { describe, expect, it } from "vitest";
import type { DirectoryUser, Page } from "../../../src/atlassian/index.ts";
import {
  collectItems,
  getLastActiveDates,
  getUser,
  listDirectories,
  listGroupRoleAssignments,
  listOrgs,
  listUserRoleAssignments,
  listWorkspaces,
  parseTimestamp,
  SchemaError,
  searchGroupPages,
  searchUserPages,
} from "../../../src/atlassian/index.ts";
import { json, stubClient } from "./stub-fetch.ts";

async function pages<T>(walk: AsyncIterable<Page<T>>): Promise<Page<T>[]> {
  const out: Page<T>[] = [];
  for await (const p of walk) out.push(p);
  return out;
}

const usersPage = (data: unknown[]) => () => json(200, { data, links: {} });

describe("spec-valid payloads are accepted", () => {
  it("a v2 user with nothing but an accountId (no field of MultiDirectoryUser is required)", async () => {
    const { client } = stubClient(usersPage([{ accountId: "bare" }]));
    const [page] = await pages(searchUserPages(client, { orgId: "o1" }));
    expect(page!.rejected).toEqual([]);
    expect(page!.items).toEqual([
      expect.objectContaining({
        accountId: "bare",
        name: null,
        accountType: null,
        status: null,
        accountStatus: null,
        membershipStatus: null,
        addedToOrg: undefined,
      }),
    ]);
  });

  it("null for any optional field, a group with name: null (nullable), lowercase t/z, offsets, nanoseconds", async () => {
    const { client } = stubClient(
      usersPage([
        {
          accountId: "u1",
          name: null,
          nickname: null,
          email: null,
          accountType: null,
          membershipStatus: null,
          managementSource: null,
          mfaEnabled: null,
          addedToOrg: "2024-01-01t10:00:00.123456789z",
          productAccess: [
            { key: "jira", id: "j", lastActiveTimestamp: "2025-11-06t23:07:29.936941226z" },
            { key: "confluence", id: "c", lastActiveTimestamp: "2025-11-07T01:07:29.5+02:00" },
            { key: "loom", id: "l", lastActiveTimestamp: "2025-11-06 21:07:29,25-0200" },
          ],
          groups: [{ id: "ari:cloud:identity::group/g1", name: null, description: null }],
        },
      ]),
    );
    const [page] = await pages(
      searchUserPages(client, { orgId: "o1", expand: ["productAccess", "groups"] }),
    );
    expect(page!.rejected).toEqual([]);
    const u = page!.items[0]!;
    expect(u.addedToOrg?.toISOString()).toBe("2024-01-01T10:00:00.123Z");
    expect(u.productAccess?.map((p) => p.lastActiveAt?.toISOString())).toEqual([
      "2025-11-06T23:07:29.936Z",
      "2025-11-06T23:07:29.500Z",
      "2025-11-06T23:07:29.250Z",
    ]);
    expect(u.groups).toEqual([
      { id: "g1", ari: "ari:cloud:identity::group/g1", name: "g1", nameProvided: false },
    ]);
  });

  it("timestamp variants RFC 3339 allows parse to the same instant", () => {
    const same = [
      "2025-11-06T23:07:29Z",
      "2025-11-06t23:07:29z",
      "2025-11-06T23:07:29.000000000Z",
      "2025-11-06T23:07:29+00:00",
      "2025-11-06T23:07:29-00:00",
      "2025-11-07T01:07:29+0200",
      "2025-11-06T20:07:29-03",
    ];
    for (const v of same)
      expect(parseTimestamp(v)?.toISOString(), v).toBe("2025-11-06T23:07:29.000Z");
  });

  it("a group search record without a name, and one with only an id", async () => {
    const { client } = stubClient(() =>
      json(200, { data: [{ id: "g1", name: null }, { id: "ari:cloud:identity::group/g2" }] }),
    );
    const groups = await collectItems(searchGroupPages(client, { orgId: "o1" }));
    expect(groups.map((g) => [g.id, g.name, g.nameProvided, g.idpManaged])).toEqual([
      ["g1", "g1", false, false],
      ["g2", "g2", false, false],
    ]);
  });

  it("orgs, directories and workspaces without names", async () => {
    const { client } = stubClient([
      () => json(200, { data: [{ id: "o1", type: "orgs", attributes: {} }], links: {} }),
      () => json(200, { data: [{ directoryId: "d1" }], links: {} }),
      () =>
        json(200, {
          data: [{ id: "ari:cloud:jira::site/c1", attributes: { typeKey: "jira-software" } }],
          links: {},
        }),
    ]);
    expect(await listOrgs(client)).toEqual([{ id: "o1", name: "o1" }]);
    expect(await listDirectories(client, { orgId: "o1" })).toEqual([
      { directoryId: "d1", name: "d1", icon: undefined },
    ]);
    expect((await listWorkspaces(client, { orgId: "o1" }))[0]).toMatchObject({
      cloudId: "c1",
      name: "c1",
      typeKey: "jira-software",
    });
  });

  it("getUser accepts a details record without name, accountType or membershipStatus", async () => {
    const { client } = stubClient(() => json(200, { data: { accountId: "u1", status: "active" } }));
    expect(await getUser(client, { orgId: "o1", accountId: "u1" })).toMatchObject({
      accountId: "u1",
      name: null,
      accountType: null,
      membershipStatus: null,
      status: "active",
    });
  });
});

describe("an unusable record is rejected, never the page", () => {
  it("a user without accountId (and one with an unparsable timestamp) are reported with endpoint, id and reason; the rest are kept", async () => {
    const { client } = stubClient([
      () =>
        json(200, {
          data: [
            { accountId: "ok1", name: "A" },
            { name: "no id", email: "x@example.com" },
            { accountId: "bad-ts", addedToOrg: "the day before yesterday" },
            { accountId: "ok2", name: "B" },
          ],
          links: { next: "c2" },
        }),
      usersPage([{ accountId: "ok3" }]),
    ]);
    const walked = await pages(searchUserPages(client, { orgId: "o1" }));
    expect(walked.map((p) => p.items.map((u) => u.accountId))).toEqual([["ok1", "ok2"], ["ok3"]]);
    expect(walked[0]!.rejected).toEqual([
      {
        endpoint: "users-search",
        request: "POST /admin/v2/orgs/o1/directories/-/users/search",
        index: 1,
        reason: expect.stringMatching(/^accountId: .*keys present there: name, email/),
      },
      {
        endpoint: "users-search",
        request: "POST /admin/v2/orgs/o1/directories/-/users/search",
        id: "bad-ts",
        index: 2,
        reason: 'addedToOrg: unparsable timestamp (got "the day before yesterday")',
      },
    ]);
    expect(walked[1]!.rejected).toEqual([]);
  });

  it("a group without an id is rejected; the other groups come through", async () => {
    const { client } = stubClient(() =>
      json(200, { data: [{ name: "nameless id" }, { id: "g2", name: "two" }] }),
    );
    const [page] = await pages(searchGroupPages(client, { orgId: "o1" }));
    expect(page!.items.map((g) => g.id)).toEqual(["g2"]);
    expect(page!.rejected).toMatchObject([{ endpoint: "groups", index: 0 }]);
  });

  it("collectItems refuses to pretend a list with rejected records is complete", async () => {
    const { client } = stubClient(usersPage([{ accountId: "ok" }, { nope: 1 }]));
    const e = await collectItems(searchUserPages(client, { orgId: "o1" })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SchemaError);
    expect((e as SchemaError).message).toMatch(/1 record\(s\) could not be used.*#1: accountId/);
  });

  it("a page where every record is unusable is a shape mismatch: SchemaError, never zero rows", async () => {
    const { client } = stubClient(usersPage([{ account_id: "a" }, { account_id: "b" }]));
    const e = await pages(searchUserPages(client, { orgId: "o1" })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SchemaError);
    expect((e as SchemaError).message).toMatch(
      /2 records, none of the expected shape: data\.0\.accountId/,
    );
  });
});

describe("unknown is not 'never' and not 'none'", () => {
  it("a productAccess entry without lastActiveTimestamp is unknown activity, distinct from a product never used (no entry)", async () => {
    const { client } = stubClient(
      usersPage([
        {
          accountId: "u1",
          productAccess: [
            { key: "jira", id: "j" },
            { key: "confluence", id: "c", lastActiveTimestamp: null },
            { key: "loom", id: "l", lastActiveTimestamp: "" },
          ],
        },
        { accountId: "never", productAccess: [] },
      ]),
    );
    const [page] = await pages(searchUserPages(client, { orgId: "o1", expand: ["productAccess"] }));
    const [u1, never] = page!.items as [DirectoryUser, DirectoryUser];
    expect(u1.productAccess?.map((p) => [p.key, p.lastActiveKnown, p.lastActiveAt])).toEqual([
      ["jira", false, undefined],
      ["confluence", false, undefined],
      ["loom", false, undefined],
    ]);
    expect(never.productAccess).toEqual([]);
    expect(never.notProvided).toEqual([]);
  });

  it("an expansion asked for but omitted is undefined and listed in notProvided; an empty one is []", async () => {
    const { client } = stubClient(
      usersPage([
        { accountId: "omitted" },
        { accountId: "nulls", groups: null, productAccess: null, platformRoles: null, counts: {} },
        {
          accountId: "empty",
          groups: [],
          productAccess: [],
          platformRoles: [],
          counts: { resources: 0 },
        },
      ]),
    );
    const expand = ["productAccess", "groups", "platformRoles", "counts.resources"] as const;
    const [page] = await pages(searchUserPages(client, { orgId: "o1", expand: [...expand] }));
    const [omitted, nulls, empty] = page!.items as [DirectoryUser, DirectoryUser, DirectoryUser];
    for (const u of [omitted, nulls]) {
      expect(u.groups, u.accountId).toBeUndefined();
      expect(u.productAccess, u.accountId).toBeUndefined();
      expect(u.platformRoles, u.accountId).toBeUndefined();
      expect(u.resourceCount, u.accountId).toBeUndefined();
      expect(u.notProvided, u.accountId).toEqual([...expand]);
    }
    expect(empty).toMatchObject({
      groups: [],
      productAccess: [],
      platformRoles: [],
      resourceCount: 0,
    });
    expect(empty.notProvided).toEqual([]);
  });

  it("without expand nothing is reported missing", async () => {
    const { client } = stubClient(usersPage([{ accountId: "u" }]));
    const [page] = await pages(searchUserPages(client, { orgId: "o1" }));
    expect(page!.items[0]!.notProvided).toEqual([]);
  });

  it("last-active-dates: an entry without dates is unknown activity; product_access [] is 'never active'", async () => {
    const { client } = stubClient([
      () => json(200, { data: { product_access: [{ id: "x", key: "jira-software" }] } }),
      () => json(200, { data: { product_access: [] } }),
    ]);
    const unknown = await getLastActiveDates(client, { orgId: "o", accountId: "a" });
    expect(unknown.products).toEqual([
      {
        key: "jira-software",
        id: "x",
        lastActiveKnown: false,
        lastActiveDate: undefined,
        lastActiveAt: undefined,
      },
    ]);
    const never = await getLastActiveDates(client, { orgId: "o", accountId: "b" });
    expect(never.products).toEqual([]);
  });

  it("role assignments: unknown methods are flagged; an entry that names no roles fails the read instead of reading as 'no roles'", async () => {
    const { client } = stubClient([
      () =>
        json(200, {
          data: [
            { resourceId: "r1", roleAssignments: [{ role: "atlassian/user" }] },
            {
              resourceId: "r2",
              roleAssignments: [{ role: "atlassian/user", roleAssignmentMethods: [] }],
            },
          ],
        }),
      () => json(200, { data: [{ resourceId: "r1", resourceOwner: "jira" }] }),
      () => json(200, { data: [{ resourceId: "r1", defaultRole: "atlassian/user" }] }),
    ]);
    const roles = await listUserRoleAssignments(client, { orgId: "o1", accountId: "u1" });
    expect(roles.map((r) => r.roles)).toEqual([
      [{ role: "atlassian/user", methods: [], methodsKnown: false }],
      [{ role: "atlassian/user", methods: [], methodsKnown: true }],
    ]);
    await expect(listUserRoleAssignments(client, { orgId: "o1", accountId: "u2" })).rejects.toThrow(
      /data\.0 \(resource r1\) cannot be used: neither roleAssignments nor roles/,
    );
    await expect(
      listGroupRoleAssignments(client, { orgId: "o1", groupId: "g1" }),
    ).rejects.toBeInstanceOf(SchemaError);
  });
});
