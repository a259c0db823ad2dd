import { describe, expect, it } from "vitest";
import {
  collectItems,
  cursorFromNext,
  getLastActiveDates,
  listEvents,
  listOrgs,
  listWorkspaces,
  PaginationLoopError,
  SchemaError,
  searchUserPages,
} from "../../../src/atlassian/index.ts";
import { walkPages } from "../../../src/atlassian/pagination.ts";
import { json, stubClient } from "./stub-fetch.ts";

const ctx = { endpoint: "users-search" as const, label: "POST /x" };

describe("cursorFromNext", () => {
  it("accepts bare cursors, absolute and relative URLs with a cursor param", () => {
    expect(cursorFromNext("kloHX1ZQVasDAkx_P48NYQ", ctx)).toBe("kloHX1ZQVasDAkx_P48NYQ");
    expect(cursorFromNext("c29tZS1i/YXNl==", ctx)).toBe("c29tZS1i/YXNl==");
    expect(cursorFromNext("https://api.atlassian.com/admin/v1/orgs?cursor=abc%3D%3D", ctx)).toBe(
      "abc==",
    );
    expect(cursorFromNext("/admin/v2/orgs/o/directories?limit=5&cursor=xyz", ctx)).toBe("xyz");
    expect(cursorFromNext("?cursor=q", ctx)).toBe("q");
  });
  it("treats absent, null and empty as the end", () => {
    expect(cursorFromNext(undefined, ctx)).toBeUndefined();
    expect(cursorFromNext(null, ctx)).toBeUndefined();
    expect(cursorFromNext("", ctx)).toBeUndefined();
  });
  it("refuses a next URL without a cursor rather than following it", () => {
    expect(() => cursorFromNext("https://evil.example/steal", ctx)).toThrow(SchemaError);
  });
});

describe("walkPages loop protection", () => {
  it("a repeated cursor is a PaginationLoopError, not a silent stop or an endless loop", async () => {
    const nexts = ["a", "b", "a"];
    const walk = walkPages({
      endpoint: "users-search",
      label: "POST /x",
      maxPages: 100,
      fetchPage: (c) => Promise.resolve({ items: [c ?? "first"], next: nexts.shift() }),
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const p of walk) seen.push(...p.items);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PaginationLoopError);
    expect((err as PaginationLoopError).pages).toBe(3);
    expect(seen).toEqual(["first", "a"]);
  });
  it("a server that returns its own cursor as next is caught", async () => {
    const walk = walkPages({
      endpoint: "users-search",
      label: "POST /x",
      startCursor: "s",
      maxPages: 100,
      fetchPage: () => Promise.resolve({ items: [1], next: "s" }),
    });
    await expect(collectItems(walk)).rejects.toBeInstanceOf(PaginationLoopError);
  });
  it("the page cap ends the walk with an error", async () => {
    let n = 0;
    const walk = walkPages({
      endpoint: "users-search",
      label: "POST /x",
      maxPages: 5,
      fetchPage: () => Promise.resolve({ items: [n], next: `c${++n}` }),
    });
    await expect(collectItems(walk)).rejects.toThrow(/more than 5 pages/);
  });
});

describe("family A: v1 link URLs (orgs, events)", () => {
  it("follows links.next URLs by their cursor, on our own host", async () => {
    const { client, calls } = stubClient([
      () =>
        json(200, {
          data: [{ id: "o1", type: "orgs", attributes: { name: "One" } }],
          links: {
            self: "https://api.atlassian.com/admin/v1/orgs",
            next: "https://api.atlassian.com/admin/v1/orgs?cursor=p2",
          },
        }),
      () =>
        json(200, {
          data: [{ id: "o2", type: "orgs", attributes: { name: "Two" } }],
          links: { self: "x" },
        }),
    ]);
    expect(await listOrgs(client)).toEqual([
      { id: "o1", name: "One" },
      { id: "o2", name: "Two" },
    ]);
    expect(calls[1]!.url.href).toBe("https://api.example.test/admin/v1/orgs?cursor=p2");
  });

  it("events page on links.next or meta.next and pass from/to as epoch ms", async () => {
    const ev = (id: string) => ({
      id,
      type: "events",
      attributes: {
        time: "2022-05-12T19:13:03.343Z",
        action: "user_suspended",
        actor: { id: "a" },
        relations: null,
      },
    });
    const { client, calls } = stubClient([
      () =>
        json(200, { data: [ev("e1")], meta: { next: "m2", page_size: 1 }, links: { self: "s" } }),
      () => json(200, { data: [ev("e2")], meta: { page_size: 1 }, links: { self: "s" } }),
    ]);
    const pages = [];
    for await (const p of listEvents(client, {
      orgId: "o1",
      from: new Date(1000),
      to: new Date(2000),
      action: "user_suspended",
    }))
      pages.push(p);
    expect(pages.map((p) => [p.cursor, p.nextCursor, p.items.map((e) => e.id)])).toEqual([
      [undefined, "m2", ["e1"]],
      ["m2", undefined, ["e2"]],
    ]);
    expect(calls[0]!.url.searchParams.get("from")).toBe("1000");
    expect(calls[0]!.url.searchParams.get("to")).toBe("2000");
    expect(calls[1]!.url.searchParams.get("cursor")).toBe("m2");
    expect(pages[0]!.items[0]!.time.toISOString()).toBe("2022-05-12T19:13:03.343Z");
  });
});

describe("family B: last-active-dates cursor", () => {
  it("walks links.next to the end and merges products", async () => {
    const { client, calls } = stubClient([
      () =>
        json(200, {
          data: {
            product_access: [
              {
                id: "ari:cloud:jira::site/1",
                key: "jira-software",
                last_active: "2026-08-03",
                last_active_timestamp: "2026-08-03T14:02:11Z",
              },
            ],
            added_to_org: "2024-02-01",
          },
          links: { next: "n2" },
        }),
      () =>
        json(200, {
          data: { product_access: [{ id: "c1", key: "confluence", last_active: "2026-07-01" }] },
        }),
    ]);
    const r = await getLastActiveDates(client, { orgId: "o1", accountId: "u1" });
    expect(r.accountId).toBe("u1");
    expect(r.addedToOrg?.toISOString()).toBe("2024-02-01T00:00:00.000Z");
    expect(r.products).toEqual([
      {
        key: "jira-software",
        id: "ari:cloud:jira::site/1",
        lastActiveKnown: true,
        lastActiveDate: "2026-08-03",
        lastActiveAt: new Date("2026-08-03T14:02:11Z"),
      },
      {
        key: "confluence",
        id: "c1",
        lastActiveKnown: true,
        lastActiveDate: "2026-07-01",
        lastActiveAt: undefined,
      },
    ]);
    expect(calls[1]!.url.searchParams.get("cursor")).toBe("n2");
  });
});

describe("family C: v2 cursors", () => {
  const user = (id: string) => ({
    accountId: id,
    accountType: "atlassian",
    status: "active",
    accountStatus: "active",
    membershipStatus: "active",
    name: id,
  });
  it("yields pages with cursor/nextCursor, repeats filters with the cursor, accepts URL-form next", async () => {
    const { client, calls } = stubClient([
      () => json(200, { data: [user("a"), user("b")], links: { self: "s1", next: "c2" } }),
      () =>
        json(200, {
          data: [user("c")],
          links: {
            next: "https://api.atlassian.com/admin/v2/orgs/o1/directories/-/users/search?cursor=c3",
          },
        }),
      () => json(200, { data: [], links: { self: "s3" } }),
    ]);
    const pages = [];
    for await (const p of searchUserPages(client, {
      orgId: "o1",
      expand: ["productAccess", "groups"],
      limit: 2,
      claimStatus: "managed",
    }))
      pages.push(p);
    expect(pages.map((p) => [p.cursor, p.nextCursor, p.items.length])).toEqual([
      [undefined, "c2", 2],
      ["c2", "c3", 1],
      ["c3", undefined, 0],
    ]);
    expect(calls[0]!.url.pathname).toBe("/admin/v2/orgs/o1/directories/-/users/search");
    expect(calls[0]!.body).toEqual({
      claimStatus: "managed",
      limit: 2,
      expand: ["productAccess", "groups"],
    });
    expect(calls[1]!.body).toEqual({
      claimStatus: "managed",
      limit: 2,
      expand: ["productAccess", "groups"],
      cursor: "c2",
    });
  });
  it("resumes from a checkpointed cursor", async () => {
    const { client, calls } = stubClient(() => json(200, { data: [user("z")], links: {} }));
    const pages = [];
    for await (const p of searchUserPages(client, { orgId: "o1", cursor: "saved" })) pages.push(p);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.cursor).toBe("saved");
    expect((calls[0]!.body as { cursor: string }).cursor).toBe("saved");
  });
});

describe("family D: workspaces", () => {
  it("sends the query on the first page and only {cursor} afterwards", async () => {
    const ws = (id: string) => ({
      id,
      type: "workspaces",
      attributes: {
        name: id,
        typeKey: "jira-software",
        type: "jira",
        hostUrl: `${id}.atlassian.net`,
        status: "online",
        sandbox: { type: "NONE" },
      },
    });
    const { client, calls } = stubClient([
      () =>
        json(200, {
          data: [ws("a")],
          links: { next: "Y3Vyc29y" },
          meta: { pageSize: 1, total: 2 },
        }),
      () => json(200, { data: [ws("b")], links: {}, meta: { pageSize: 1, total: 2 } }),
    ]);
    const all = await listWorkspaces(client, { orgId: "o1" });
    expect(all.map((w) => w.url)).toEqual(["https://a.atlassian.net", "https://b.atlassian.net"]);
    expect(calls[0]!.body).toEqual({ limit: 100 });
    expect(calls[1]!.body).toEqual({ cursor: "Y3Vyc29y" });
  });
});

describe("bounded walks: every runaway listing ends with a clear error", () => {
  const LABEL = "POST /admin/v2/orgs/o1/directories/-/users/search";
  let n = 0;
  const freshCursorEachTime = (data: () => unknown[]) => () =>
    json(200, { data: data(), links: { next: `c${++n}` } });

  it("endless fresh cursors over empty pages stop after maxEmptyPages (default 10)", async () => {
    const { client, calls } = stubClient(freshCursorEachTime(() => []));
    const e = await collectItems(searchUserPages(client, { orgId: "o1" })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PaginationLoopError);
    expect((e as PaginationLoopError).reason).toBe("empty-pages");
    expect((e as PaginationLoopError).message).toContain(LABEL);
    expect((e as PaginationLoopError).message).toMatch(/10 empty pages in a row/);
    expect(calls).toHaveLength(10);

    const three = stubClient(freshCursorEachTime(() => []));
    await expect(
      collectItems(searchUserPages(three.client, { orgId: "o1", maxEmptyPages: 3 })),
    ).rejects.toThrow(/3 empty pages in a row/);
    expect(three.calls).toHaveLength(3);
  });

  it("an empty page now and then does not stop a walk", async () => {
    const bodies = [[], [{ accountId: "a" }], [], [{ accountId: "b" }]];
    const { client } = stubClient((_req, i) =>
      json(200, { data: bodies[i], links: i < 3 ? { next: `x${i}` } : {} }),
    );
    const users = await collectItems(searchUserPages(client, { orgId: "o1", maxEmptyPages: 2 }));
    expect(users.map((u) => u.accountId)).toEqual(["a", "b"]);
  });

  it("the page ceiling names the endpoint and the ceiling", async () => {
    let id = 0;
    const { client } = stubClient(freshCursorEachTime(() => [{ accountId: `u${++id}` }]));
    const e = await collectItems(searchUserPages(client, { orgId: "o1", maxPages: 7 })).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(PaginationLoopError);
    expect((e as PaginationLoopError).reason).toBe("page-ceiling");
    expect((e as PaginationLoopError).pages).toBe(7);
    expect((e as PaginationLoopError).message).toContain(`${LABEL}: more than 7 pages`);
    expect((e as PaginationLoopError).message).toContain("maxPages");
  });

  it("pages running far beyond the expected total (users/count) stop the walk", async () => {
    let id = 0;
    const hundred = () => Array.from({ length: 100 }, () => ({ accountId: `u${++id}` }));
    const { client, calls } = stubClient(freshCursorEachTime(hundred));
    const e = await collectItems(
      searchUserPages(client, { orgId: "o1", expectedTotal: 300 }),
    ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PaginationLoopError);
    expect((e as PaginationLoopError).reason).toBe("beyond-expected");
    expect((e as PaginationLoopError).message).toMatch(
      /600 records after 6 page\(s\), far beyond the 300/,
    );
    expect(calls).toHaveLength(6); // 300 + max(200, 10%) = 500 allowed
  });

  it("a walk that ends within the expected total (plus room for joiners) is fine", async () => {
    const pagesOf = [[{ accountId: "a" }, { accountId: "b" }], [{ accountId: "c" }]];
    const { client } = stubClient((_req, i) =>
      json(200, { data: pagesOf[i], links: i === 0 ? { next: "n" } : {} }),
    );
    const users = await collectItems(searchUserPages(client, { orgId: "o1", expectedTotal: 2 }));
    expect(users).toHaveLength(3);
  });

  it("a repeated cursor says so (reason repeated-cursor)", async () => {
    const { client } = stubClient(() =>
      json(200, { data: [{ accountId: "a" }], links: { next: "same" } }),
    );
    const e = await collectItems(searchUserPages(client, { orgId: "o1" })).catch((x: unknown) => x);
    expect((e as PaginationLoopError).reason).toBe("repeated-cursor");
    expect((e as PaginationLoopError).message).toContain(LABEL);
  });
});
