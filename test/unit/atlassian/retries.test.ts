/**
 * Retries: a bounded, jittered retry of HTTP 500 for idempotent reads (GET and the POST
 * searches), never for writes; every attempt reported with the wait before the next one; a
 * per-user 404 readable as "user gone".
 */
import { describe, expect, it } from "vitest";
import type { RequestEvent } from "../../../src/atlassian/index.ts";
import {
  addGroupMember,
  assignUserRole,
  collectItems,
  disableAccount,
  getLastActiveDates,
  getOrg,
  getUser,
  listGroupRoleAssignments,
  listUserRoleAssignments,
  NotFoundError,
  removeGroupMember,
  searchGroupPages,
  searchUserPages,
  searchWorkspacePages,
  ServerError,
  suspendUser,
} from "../../../src/atlassian/index.ts";
import { empty, json, stubClient } from "./stub-fetch.ts";

const ORG = { data: { id: "o1", type: "orgs", attributes: { name: "Acme" } } };
// the API's documented 500 body
const five00 = () =>
  json(500, {
    errors: [
      { id: "x", status: "500", code: "ADMIN-500-1", title: "Internal", detail: "Try again later" },
    ],
  });
const list = (data: unknown[] = []) => json(200, { data, links: {} });

describe("HTTP 500 on idempotent reads is retried, bounded, with backoff and jitter", () => {
  it("a GET: one 500, then the answer", async () => {
    const { client, calls, sleeps } = stubClient([five00, () => json(200, ORG)]);
    await expect(getOrg(client, { orgId: "o1" })).resolves.toEqual({ id: "o1", name: "Acme" });
    expect(calls).toHaveLength(2);
    expect(sleeps).toEqual([750]); // equal jitter on the first 1000 ms step (random = 0.5)
    expect(client.statsByEndpoint().orgs).toMatchObject({ retries: 1, failures: 0 });
  });

  it("a persistent 500 gives up after retry.serverErrorAttempts (default 3), backing off each time", async () => {
    const { client, calls, sleeps } = stubClient(five00);
    const e = await getOrg(client, { orgId: "o1" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ServerError);
    expect((e as ServerError).attempts).toBe(3);
    expect((e as ServerError).message).toMatch(/tried 3 times/);
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([750, 1500]);

    const one = stubClient(five00, { retry: { serverErrorAttempts: 1 } });
    await expect(getOrg(one.client, { orgId: "o1" })).rejects.toBeInstanceOf(ServerError);
    expect(one.calls).toHaveLength(1);
  });

  it("jitter spreads the 500 backoff between step/2 and step", async () => {
    const low = stubClient([five00, () => json(200, ORG)], { random: () => 0 });
    await getOrg(low.client, { orgId: "o1" });
    const high = stubClient([five00, () => json(200, ORG)], { random: () => 0.999 });
    await getOrg(high.client, { orgId: "o1" });
    expect(low.sleeps).toEqual([500]);
    expect(high.sleeps[0]).toBeGreaterThan(990);
  });

  const reads: [string, (c: ReturnType<typeof stubClient>["client"]) => Promise<unknown>][] = [
    ["POST users/search", (c) => collectItems(searchUserPages(c, { orgId: "o1" }))],
    ["POST groups/search", (c) => collectItems(searchGroupPages(c, { orgId: "o1" }))],
    ["POST workspaces", (c) => collectItems(searchWorkspacePages(c, { orgId: "o1" }))],
    ["GET user", (c) => getUser(c, { orgId: "o1", accountId: "u1" })],
    [
      "GET group role-assignments",
      (c) => listGroupRoleAssignments(c, { orgId: "o1", groupId: "g" }),
    ],
    [
      "GET user role-assignments",
      (c) => listUserRoleAssignments(c, { orgId: "o1", accountId: "u" }),
    ],
  ];
  for (const [name, read] of reads) {
    it(`${name} is retried after a 500`, async () => {
      const answer =
        name === "GET user" ? () => json(200, { data: { accountId: "u1" } }) : () => list();
      const { client, calls } = stubClient([five00, answer]);
      await expect(read(client)).resolves.toBeDefined();
      expect(calls).toHaveLength(2);
    });
  }
  it("last-active-dates is retried after a 500", async () => {
    const { client, calls } = stubClient([
      five00,
      () => json(200, { data: { product_access: [] } }),
    ]);
    expect((await getLastActiveDates(client, { orgId: "o1", accountId: "u" })).products).toEqual(
      [],
    );
    expect(calls).toHaveLength(2);
  });
});

describe("writes are never retried after a 500 (it may have happened)", () => {
  const p = { orgId: "o1", directoryId: "d1", accountId: "u1" };
  const writes: [string, (c: ReturnType<typeof stubClient>["client"]) => Promise<unknown>][] = [
    ["suspend", (c) => suspendUser(c, p)],
    ["add membership", (c) => addGroupMember(c, { ...p, groupId: "g" })],
    ["remove membership", (c) => removeGroupMember(c, { ...p, groupId: "g" })],
    ["disable", (c) => disableAccount(c, { accountId: "u1" })],
    ["assign role", (c) => assignUserRole(c, { ...p, role: "atlassian/user", resource: "r" })],
  ];
  for (const [name, write] of writes) {
    it(name, async () => {
      const { client, calls, sleeps } = stubClient([five00, () => empty(204)]);
      const e = await write(client).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ServerError);
      expect((e as ServerError).retryable).toBe(false);
      expect(calls).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });
  }
  it("a 503 on a write is still retried (the gateway answered; the service never saw it)", async () => {
    const { client, calls } = stubClient([
      () => json(503, { code: 503, message: "Service Unavailable" }),
      () => empty(204),
    ]);
    expect(await suspendUser(client, p)).toBe("done");
    expect(calls).toHaveLength(2);
  });
});

describe("onRequest shows the planned wait and the attempt limit", () => {
  it("retryInMs and maxAttempts per attempt, e.g. 'retry 2/6 in 1.5 s'", async () => {
    const events: RequestEvent[] = [];
    const { client } = stubClient(
      [
        () => json(503, { code: 503, message: "x" }),
        () => json(503, { code: 503, message: "x" }),
        () => json(200, ORG),
        five00,
        () => json(200, ORG),
      ],
      { onRequest: (e) => events.push(e) },
    );
    await getOrg(client, { orgId: "o1" });
    await getOrg(client, { orgId: "o1" });
    expect(events.map((e) => [e.attempt, e.maxAttempts, e.status, e.retried, e.retryInMs])).toEqual(
      [
        [1, 6, 503, true, 750],
        [2, 6, 503, true, 1500],
        [3, 6, 200, false, undefined],
        [1, 3, 500, true, 750], // a 500 has its own, smaller bound
        [2, 6, 200, false, undefined],
      ],
    );
  });

  it("the last failed attempt says it is not retried", async () => {
    const events: RequestEvent[] = [];
    const { client } = stubClient(five00, {
      retry: { serverErrorAttempts: 2 },
      onRequest: (e) => events.push(e),
    });
    await getOrg(client, { orgId: "o1" }).catch(() => undefined);
    expect(events.map((e) => [e.attempt, e.maxAttempts, e.retried, e.retryInMs])).toEqual([
      [1, 2, true, 750],
      [2, 2, false, undefined],
    ]);
  });
});

describe("a 404 on a per-user read says 'user gone'", () => {
  const userGone = () =>
    json(404, {
      errors: [{ id: "i", status: "404", code: "ADMIN-404-8", title: "Not Found", detail: "user" }],
    });
  const orgGone = () =>
    json(404, {
      errors: [{ id: "i", status: "404", code: "ADMIN-404-2", title: "Not Found", detail: "org" }],
    });
  const reads: [string, (c: ReturnType<typeof stubClient>["client"]) => Promise<unknown>][] = [
    ["user details", (c) => getUser(c, { orgId: "o1", accountId: "u1" })],
    ["last-active-dates", (c) => getLastActiveDates(c, { orgId: "o1", accountId: "u1" })],
    ["role-assignments", (c) => listUserRoleAssignments(c, { orgId: "o1", accountId: "u1" })],
  ];
  for (const [name, read] of reads) {
    it(name, async () => {
      const gone = stubClient(userGone);
      const e = await read(gone.client).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(NotFoundError);
      expect((e as NotFoundError).userGone).toBe(true);
      expect((e as NotFoundError).target).toBe("user");
      expect(gone.calls).toHaveLength(1); // a 404 is an answer, not retried

      const org = await read(stubClient(orgGone).client).catch((x: unknown) => x);
      expect((org as NotFoundError).userGone).toBe(false);
      expect((org as NotFoundError).target).toBe("org");

      // a bare 404 names nothing: a wrong org would look the same, so it is not "user gone"
      const bare = await read(stubClient(() => empty(404)).client).catch((x: unknown) => x);
      expect(bare).toBeInstanceOf(NotFoundError);
      expect((bare as NotFoundError).userGone).toBe(false);
      expect((bare as NotFoundError).target).toBe("unknown");
    });
  }
});
