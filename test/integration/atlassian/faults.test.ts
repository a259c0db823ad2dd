import { describe, expect, it } from "vitest";
import type {
  AtlassianClient,
  DirectoryUser,
  LastActiveDates,
  RequestEvent,
} from "../../../src/atlassian/index.ts";
import {
  addGroupMember,
  assignUserRole,
  AuthError,
  BadRequestError,
  cancelDeleteAccount,
  collectItems,
  countUsers,
  createAtlassianClient,
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
  NetworkError,
  RateLimitError,
  removeGroupMember,
  removeUser,
  restoreUser,
  revokeUserRole,
  searchGroupPages,
  searchUserPages,
  ServerError,
  suspendUser,
} from "../../../src/atlassian/index.ts";
import type { SimOrg } from "../../../src/simulator/index.ts";
import { clientFor, SIM_KEY, startWithClient } from "./sim-client.ts";

const EXPAND = ["productAccess", "groups", "platformRoles"] as const;

async function readAll(client: AtlassianClient, orgId: string, accountIds: string[]) {
  const users = await collectItems(
    searchUserPages(client, { orgId, expand: [...EXPAND], limit: 5 }),
  );
  const lastActive = await Promise.all(
    accountIds.map((accountId) => getLastActiveDates(client, { orgId, accountId })),
  );
  return { users, lastActive };
}

/** Every user and every last-active read agrees with the simulator's ground truth. */
function expectMatchesTruth(
  org: SimOrg,
  users: DirectoryUser[],
  lastActive: LastActiveDates[],
): void {
  expect(users.length).toBeGreaterThan(0);
  for (const u of users) {
    const truth = org.users.find((x) => x.accountId === u.accountId)!;
    expect(u.productAccess?.map((p) => p.lastActiveRaw)).toEqual(
      truth.activity.map((a) => a.lastActiveAt),
    );
  }
  for (const la of lastActive) {
    const truth = org.users.find((x) => x.accountId === la.accountId)!;
    expect(la.products.map((p) => p.id)).toEqual(truth.activity.map((a) => a.workspaceId));
  }
}

/**
 * One clock for the simulator and the client: every wait the client makes moves it on at once,
 * so the server's minute windows pass without real time passing.
 */
function sharedClock() {
  const clock = { now: Date.UTC(2026, 10, 30, 9, 0, 0) };
  return {
    sim: { clock: () => clock.now },
    client: {
      now: () => clock.now,
      sleep: (ms: number) => {
        clock.now += Math.max(0, ms);
        return Promise.resolve();
      },
    },
  };
}

describe("429 storms", () => {
  for (const retryAfterHeader of [true, false]) {
    it(`complete, correct data through a 429 storm (${retryAfterHeader ? "JSON bodies, Retry-After sent" : "HTML bodies, no Retry-After: X-RateLimit-Reset only"})`, async () => {
      // The server allows 40 calls a minute; the clients are told they may do 10,000× that.
      const time = sharedClock();
      const clientOptions = {
        ...time.client,
        rateLimits: { defaultPerMinute: 400_000, lastActivePerMinute: 400_000 },
        retry: { maxAttempts: 12 },
      };
      const { sim, client, orgId } = await startWithClient(
        {
          ...time.sim,
          retryAfterHeader,
          rateLimits: { defaultPerMinute: 40, lastActivePerMinute: 20 },
          // the variant without Retry-After also answers its 429s with HTML
          faults: { htmlErrorBodies: !retryAfterHeader },
        },
        clientOptions,
      );
      try {
        const clean = await readAll(client, orgId, []);
        const org = sim.orgs[0]!;
        const ids = clean.users.slice(0, 40).map((u) => u.accountId);
        // Alone, the client keeps to the server's own count (X-RateLimit-Remaining) whatever
        // it was told, so it meets no 429.
        const alone = await readAll(client, orgId, ids);
        expectMatchesTruth(org, alone.users, alone.lastActive);
        expect(sim.stats.rateLimited).toBe(0);
        // A second process sharing the org's budget makes the storm: neither knows what the
        // other has in flight.
        const rival = clientFor(sim, clientOptions);
        const [stormy, rivals] = await Promise.all([
          readAll(client, orgId, ids),
          readAll(rival, orgId, [...ids].reverse()),
        ]);
        expect(stormy.users).toEqual(clean.users);
        expect(rivals.users).toEqual(clean.users);
        expectMatchesTruth(org, stormy.users, stormy.lastActive);
        expectMatchesTruth(org, rivals.users, rivals.lastActive);
        expect(sim.stats.rateLimited).toBeGreaterThan(0);
        for (const c of [client, rival]) {
          expect(c.statsByEndpoint()["last-active-dates"]!.failures).toBe(0);
          expect(c.statsByEndpoint()["users-search"]!.failures).toBe(0);
        }
        const limited = [client, rival].map(
          (c) => c.statsByEndpoint()["last-active-dates"]!.rateLimited,
        );
        expect(limited[0]! + limited[1]!).toBeGreaterThan(0);
      } finally {
        await sim.close();
      }
    });
  }
});

describe("injected server faults", () => {
  it("random 502/503/504 (JSON and HTML bodies) still yield complete, identical data", async () => {
    const { sim, client, orgId } = await startWithClient(
      { rateLimits: { lastActivePerMinute: 100_000 } },
      {
        rateLimits: { lastActivePerMinute: 100_000 },
        retry: { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 20 },
      },
    );
    try {
      const clean = await readAll(client, orgId, []);
      const ids = clean.users.map((u) => u.accountId);
      const cleanLa = await readAll(client, orgId, ids);
      for (const htmlErrorBodies of [false, true]) {
        sim.setFaults({
          errorRate: 0.25,
          statuses: [502, 503, 504],
          htmlErrorBodies,
          seed: String(htmlErrorBodies),
        });
        const before = sim.stats.faults;
        const faulty = await readAll(client, orgId, ids);
        expect(sim.stats.faults - before).toBeGreaterThan(5);
        expect(faulty.users).toEqual(cleanLa.users);
        expect(faulty.lastActive).toEqual(cleanLa.lastActive);
      }
      expect(client.statsByEndpoint()["users-search"]!.retries).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });

  it("a user whose reads always fail yields errors, never empty data, and does not sink the others", async () => {
    const { sim, client, orgId } = await startWithClient(
      { rateLimits: { lastActivePerMinute: 100_000 } },
      { rateLimits: { lastActivePerMinute: 100_000 } },
    );
    try {
      const org = sim.orgs[0]!;
      const dir = org.directories[0]!.directoryId;
      const members = org.users.filter((u) => u.memberships[dir]);
      const broken = members.find((u) => u.activity.length === 0) ?? members[0]!;
      sim.setFaults({ alwaysFailAccountIds: [broken.accountId] });
      const ids = members.slice(0, 10).map((u) => u.accountId);
      if (!ids.includes(broken.accountId)) ids.push(broken.accountId);
      const results = await Promise.allSettled(
        ids.map((accountId) => getLastActiveDates(client, { orgId, accountId })),
      );
      results.forEach((r, i) => {
        if (ids[i] === broken.accountId) {
          expect(r.status).toBe("rejected");
          expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ServerError);
        } else {
          expect(r.status).toBe("fulfilled");
        }
      });
      await expect(
        getUser(client, { orgId, directoryId: dir, accountId: broken.accountId }),
      ).rejects.toBeInstanceOf(ServerError);
      await expect(
        listUserRoleAssignments(client, { orgId, directoryId: dir, accountId: broken.accountId }),
      ).rejects.toBeInstanceOf(ServerError);
    } finally {
      await sim.close();
    }
  });

  it("a stale cursor mid-walk is a BadRequestError (restart), not a short listing", async () => {
    const { sim, client, orgId } = await startWithClient();
    try {
      sim.setFaults({ staleCursorRate: 1 });
      const seen: number[] = [];
      const err = await (async () => {
        for await (const p of searchUserPages(client, { orgId, limit: 5 }))
          seen.push(p.items.length);
      })().catch((e: unknown) => e);
      expect(seen).toEqual([5]);
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).staleCursor).toBe(true);
    } finally {
      await sim.close();
    }
  });

  it("a slow server times out as NetworkError after retries", async () => {
    const { sim, client, orgId } = await startWithClient(
      {},
      { timeoutMs: 50, retry: { maxAttempts: 2, baseDelayMs: 1 } },
    );
    try {
      sim.setFaults({ latencyMs: 400 });
      const err = await collectItems(searchUserPages(client, { orgId })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetworkError);
      expect((err as NetworkError).timedOut).toBe(true);
    } finally {
      await sim.close();
    }
  });

  it("a wrong key is an AuthError that does not contain the key", async () => {
    const { sim, orgId } = await startWithClient();
    try {
      const wrong = createAtlassianClient({ apiKey: `${SIM_KEY}-wrong`, baseUrl: sim.url });
      const err = await collectItems(searchUserPages(wrong, { orgId })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      expect(JSON.stringify(err) + String(err) + (err as Error).stack).not.toContain(SIM_KEY);
    } finally {
      await sim.close();
    }
  });
});

/** The POST endpoints that are searches (reads). */
const isSearch = (c: string) => c === "users-search" || c === "groups" || c === "workspaces";

/** Every resource function, called once against a fixed target of the seeded org. */
function everyCall(client: AtlassianClient, org: SimOrg): [string, () => Promise<unknown>][] {
  const orgId = org.id;
  const dir = org.directories[0]!.directoryId;
  const user = org.users.find((u) => u.memberships[dir] === "active")!;
  const group = org.groups.find((g) => g.directoryId === dir && !g.externalSynced)!;
  const u = { orgId, directoryId: dir, accountId: user.accountId };
  const m = { ...u, groupId: group.id };
  const resource = org.workspaces[0]!.id;
  return [
    ["listOrgs", () => listOrgs(client)],
    ["getOrg", () => getOrg(client, { orgId })],
    ["discoverOrgId", () => discoverOrgId(client)],
    ["listDirectories", () => listDirectories(client, { orgId })],
    ["searchUserPages", () => collectItems(searchUserPages(client, { orgId }))],
    ["getUser", () => getUser(client, u)],
    ["countUsers", () => countUsers(client, { orgId })],
    ["getLastActiveDates", () => getLastActiveDates(client, u)],
    ["listUserRoleAssignments", () => listUserRoleAssignments(client, u)],
    ["searchGroupPages", () => collectItems(searchGroupPages(client, { orgId }))],
    ["listGroupRoleAssignments", () => listGroupRoleAssignments(client, m)],
    ["listWorkspaces", () => listWorkspaces(client, { orgId })],
    ["listEvents", () => collectItems(listEvents(client, { orgId }))],
    ["getManagePermissions", () => getManagePermissions(client, u)],
    ["suspendUser", () => suspendUser(client, u)],
    ["restoreUser", () => restoreUser(client, u)],
    ["removeUser", () => removeUser(client, u)],
    ["addGroupMember", () => addGroupMember(client, m)],
    ["removeGroupMember", () => removeGroupMember(client, m)],
    ["disableAccount", () => disableAccount(client, u)],
    ["enableAccount", () => enableAccount(client, u)],
    ["deleteAccount", () => deleteAccount(client, u)],
    ["cancelDeleteAccount", () => cancelDeleteAccount(client, u)],
    ["assignUserRole", () => assignUserRole(client, { ...u, role: "atlassian/user", resource })],
    ["revokeUserRole", () => revokeUserRole(client, { ...u, role: "atlassian/user", resource })],
  ];
}

describe("no resource function turns a failed server into data or success", () => {
  for (const [status, cls] of [
    [500, ServerError],
    [503, ServerError],
  ] as const) {
    it(`every call against a server answering ${status} rejects with ${cls.name}`, async () => {
      const events: RequestEvent[] = [];
      const { sim, client } = await startWithClient(
        { faults: { errorRate: 1, statuses: [status] }, rateLimits: { eventsPerMinute: 100_000 } },
        {
          retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
          rateLimits: { eventsPerMinute: 100_000 },
          onRequest: (e) => events.push(e),
        },
      );
      try {
        const org = sim.orgs[0]!;
        const before = JSON.stringify(org.users);
        for (const [name, call] of everyCall(client, org)) {
          const from = events.length;
          const outcome = await call().then(
            (v) => ({ resolved: v }),
            (e: unknown) => ({ rejected: e }),
          );
          expect(outcome, name).not.toHaveProperty("resolved");
          const e = (outcome as { rejected: unknown }).rejected;
          expect(e, name).toBeInstanceOf(cls);
          expect((e as ServerError).status, name).toBe(status);
          // 503 is transient and retried on every call; a 500 only on reads, never on a write
          const attempts = events.slice(from);
          const write = attempts.some((a) => a.method !== "GET" && !isSearch(a.endpoint));
          expect(attempts.length, name).toBe(status === 503 || !write ? 2 : 1);
        }
        expect(JSON.stringify(org.users)).toBe(before); // nothing was written
      } finally {
        await sim.close();
      }
    });
  }

  it("every call against an exhausted rate limit rejects with RateLimitError (a wait too long to honour)", async () => {
    // A frozen simulator clock keeps the one-minute window from ever resetting during the test.
    const frozen = Date.now();
    const { sim, client: spender } = await startWithClient({
      clock: () => frozen,
      rateLimits: { defaultPerMinute: 1, lastActivePerMinute: 1, eventsPerMinute: 1 },
    });
    try {
      const org = sim.orgs[0]!;
      // another process spends each class's single request of the minute
      await getOrg(spender, { orgId: org.id });
      await getLastActiveDates(spender, {
        orgId: org.id,
        accountId: org.users.find((u) => u.memberships[org.directories[0]!.directoryId])!.accountId,
        maxPages: 1,
      }).catch(() => undefined); // a second page would be refused; only the spend matters
      await collectItems(listEvents(spender, { orgId: org.id, limit: 500 })).catch(() => undefined);
      const before = JSON.stringify(org.users);
      // a fresh client per call: it has not seen the budget run out, so it meets the 429 itself
      const fresh = () =>
        createAtlassianClient({
          apiKey: sim.apiKey,
          baseUrl: sim.url,
          retry: { maxAttempts: 3, maxServerWaitMs: 50 },
        });
      for (const [name] of everyCall(spender, org)) {
        const call = everyCall(fresh(), org).find(([n]) => n === name)![1];
        const e = await call().then(
          () => undefined,
          (x: unknown) => x,
        );
        expect(e, name).toBeInstanceOf(RateLimitError);
        expect((e as RateLimitError).retryAfterMs, name).toBeGreaterThan(50);
        expect((e as RateLimitError).message, name).not.toContain(sim.apiKey);
      }
      expect(JSON.stringify(org.users)).toBe(before);
    } finally {
      await sim.close();
    }
  });
});
