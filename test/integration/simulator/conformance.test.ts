import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeTable, startSimulator } from "../../../src/simulator/index.ts";
import type { RunningSimulator, SimOrg, SimUser } from "../../../src/simulator/index.ts";
import { SPEC_EXCEPTIONS, SpecValidator } from "./openapi-validator.ts";
import type { SpecName } from "./openapi-validator.ts";
import type { ErrorBody, EventPage, LastActivePage, Page, WorkspacePage } from "./api-types.ts";
import { client } from "./sim-client.ts";
import type { SimReply } from "./sim-client.ts";

/**
 * Conformance: drives every operation the simulator serves (success and documented error cases)
 * and validates status, body and rate-limit headers against Atlassian's official OpenAPI files
 * (2026-09-24 organizations spec; user-management 2023-08-28 for /users/...; organizations
 * 2023-08-28 for the legacy v1 writes). Spec defects are handled by the named exceptions in
 * SPEC_EXCEPTIONS, never by skipping.
 */
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const validator = new SpecValidator(new URL("../../fixtures/openapi/", import.meta.url));
const covered = new Set<string>();
let sim: RunningSimulator;
let limited: RunningSimulator;
let org: SimOrg;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({
    orgs: [{ users: 250, seed: "conformance", now: NOW }],
    clock: () => NOW,
    legacyV1: "on",
  });
  limited = await startSimulator({
    orgs: [{ users: 5, seed: "limited", now: NOW }],
    clock: () => NOW,
    rateLimits: { defaultPerMinute: 1, lastActivePerMinute: 1, eventsPerMinute: 1 },
    rateLimitResetFormat: "minute", // the observed `2026-11-28T12:01Z` form is valid ISO 8601 too
  });
  org = sim.orgs[0]!;
  dir = org.directories[0]!.directoryId;
});
afterAll(async () => {
  await sim.close();
  await limited.close();
});

const shape = (t: string) => t.replace(/\{[^}]+\}/g, "{}");

interface Hit {
  spec?: SpecName;
  params?: Record<string, string>;
  body?: unknown;
  apiKey?: string;
  on?: RunningSimulator;
}

/** Calls one operation over HTTP, asserts the status, and validates the reply against the spec. */
async function hit<T = ErrorBody>(
  method: string,
  templateWithQuery: string,
  status: number,
  h: Hit = {},
): Promise<SimReply<T>> {
  const [template = "", query] = templateWithQuery.split("?");
  const spec = h.spec ?? "org2026";
  const target = h.on ?? sim;
  const params = { orgId: target.orgs[0]!.id, directoryId: dir, ...h.params };
  const path = template.replace(/\{(\w+)\}/g, (_m, k: string) =>
    encodeURIComponent(params[k as keyof typeof params] ?? `missing-${k}`),
  );
  const prefix = spec === "um2023" ? "" : "/admin";
  const reply = await client(target, h.apiKey ?? target.orgs[0]!.apiKey).call<T>(
    method,
    `${prefix}${path}${query ? `?${query}` : ""}`,
    h.body,
  );
  expect(reply.status, `${method} ${path}: ${reply.text.slice(0, 300)}`).toBe(status);
  // Requests the simulator accepts must be ones the spec allows (bad ones are sent on purpose
  // only where a 4xx is expected).
  if (status < 400) expect(validator.checkRequest(spec, method, template, h.body)).toEqual([]);
  const problems = validator.check({
    spec,
    method,
    template,
    status: reply.status,
    body: reply.body,
    text: reply.text,
    headers: reply.headers,
  });
  expect(problems).toEqual([]);
  covered.add(`${method} ${prefix}${shape(template)}`);
  return reply;
}

function person(extra: (u: SimUser) => boolean): SimUser {
  const u = org.users.find(
    (x) =>
      x.accountType === "atlassian" &&
      x.accountStatus === "active" &&
      !x.deletionScheduledAt &&
      x.memberships[dir] === "active" &&
      x.platformRoles.length === 0 &&
      extra(x),
  );
  if (!u) throw new Error("seed lacks a matching user");
  return u;
}

const USERS = "/v2/orgs/{orgId}/directories/{directoryId}/users";
const GROUPS = "/v2/orgs/{orgId}/directories/{directoryId}/groups";

describe("organizations spec 2026-09-24: reads", () => {
  it("orgs", async () => {
    await hit("GET", "/v1/orgs", 200);
    await hit("GET", "/v1/orgs?cursor=foreign", 400);
    await hit("GET", "/v1/orgs", 401, { apiKey: "wrong" });
    await hit("GET", "/v1/orgs", 200, { on: limited });
    await hit("GET", "/v1/orgs", 429, { on: limited });
    await hit("GET", "/v1/orgs/{orgId}", 200);
    await hit("GET", "/v1/orgs/{orgId}", 404, { params: { orgId: "no-such-org" } });
    await hit("GET", "/v1/orgs/{orgId}", 401, { apiKey: "" });
  });

  it("directories", async () => {
    await hit("GET", "/v2/orgs/{orgId}/directories", 200);
    await hit("GET", "/v2/orgs/{orgId}/directories?cursor=bogus", 400);
    await hit("GET", "/v2/orgs/{orgId}/directories", 401, { apiKey: "nope" });
  });

  it("user search, list, details, count, stats, role assignments", async () => {
    const full = await hit<Page<unknown>>("POST", `${USERS}/search`, 200, {
      body: {
        limit: 100,
        expand: ["platformRoles", "counts.resources", "productAccess", "groups"],
      },
    });
    await hit("POST", `${USERS}/search`, 200, { body: { cursor: full.body.links?.next } });
    await hit("POST", `${USERS}/search`, 200, {
      params: { directoryId: "-" },
      body: { status: ["suspended", "deactivated"], claimStatus: "managed" },
    });
    await hit("POST", `${USERS}/search`, 400, { body: { searchTerm: "a", emails: ["x@y.z"] } });
    await hit("POST", `${USERS}/search`, 400, { body: { cursor: "stale" } });
    await hit("POST", `${USERS}/search`, 404, { params: { directoryId: "no-such-dir" }, body: {} });
    await hit("POST", `${USERS}/search`, 401, { apiKey: "nope", body: {} });
    await hit("POST", `${USERS}/search`, 429, { on: limited, body: {} });

    await hit("GET", USERS, 200, { params: { directoryId: "-" } });
    await hit("GET", `${USERS}?limit=0`, 400);

    const deactivated = org.users.find((u) => u.deactivatedOn)!;
    await hit("GET", `${USERS}/{userId}`, 200, {
      params: { directoryId: "-", userId: deactivated.accountId },
    });
    await hit("GET", `${USERS}/{userId}`, 404, { params: { userId: "ghost" } });

    await hit("GET", `${USERS}/count`, 200);
    await hit("GET", `${USERS}/count?claimStatus=bogus`, 400);
    await hit("GET", `${USERS}/stats`, 200, { params: { directoryId: "-" } });

    const withRoles = org.users.find((u) => u.platformRoles.includes("atlassian/org-admin"))!;
    await hit("GET", `${USERS}/{accountId}/role-assignments`, 200, {
      params: { directoryId: "-", accountId: withRoles.accountId },
    });
    await hit("GET", `${USERS}/{accountId}/role-assignments?cursor=zz`, 400, {
      params: { accountId: withRoles.accountId },
    });
    await hit("GET", `${USERS}/{accountId}/role-assignments`, 404, {
      params: { accountId: "ghost" },
    });
  });

  it("every page of users search (all expansions) and every user's details, with no accountType exception", async () => {
    let body: Record<string, unknown> = {
      limit: 100,
      expand: ["platformRoles", "counts.resources", "productAccess", "groups"],
    };
    const ids: string[] = [];
    for (;;) {
      const page = await hit<Page<{ accountId: string }>>("POST", `${USERS}/search`, 200, {
        params: { directoryId: "-" },
        body,
      });
      ids.push(...page.body.data.map((u) => u.accountId));
      if (!page.body.links?.next) break;
      body = { cursor: page.body.links.next };
    }
    expect(ids).toEqual(sim.directoryUsers().map((u) => u.accountId));
    for (const id of ids) {
      await hit("GET", `${USERS}/{userId}`, 200, { params: { directoryId: "-", userId: id } });
    }
    // App and customer accounts are not v2 directory users: 404 in the spec's shape.
    const bot = org.users.find((u) => u.accountType !== "atlassian")!;
    await hit("GET", `${USERS}/{userId}`, 404, {
      params: { directoryId: "-", userId: bot.accountId },
    });
  });

  it("v1 users and last-active-dates", async () => {
    await hit("GET", "/v1/orgs/{orgId}/users", 200);
    await hit("GET", "/v1/orgs/{orgId}/users?cursor=bad", 400);
    await hit("GET", "/v1/orgs/{orgId}/users", 404, { params: { orgId: "elsewhere" } });

    const heavy = org.users.find((u) => u.activity.length > 5)!;
    const la = "/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates";
    const first = await hit<LastActivePage>("GET", la, 200, {
      params: { accountId: heavy.accountId },
    });
    await hit("GET", `${la}?cursor=${encodeURIComponent(first.body.links?.next ?? "")}`, 200, {
      params: { accountId: heavy.accountId },
    });
    await hit("GET", la, 200, {
      params: { accountId: org.users.find((u) => u.activity.length === 0)!.accountId },
    });
    await hit("GET", la, 404, { params: { accountId: "ghost" } });
    await hit("GET", `${la}?cursor=bad`, 400, { params: { accountId: heavy.accountId } });
    await hit("GET", la, 401, { apiKey: "nope", params: { accountId: heavy.accountId } });
    const lim = limited.orgs[0]!.users[0]!.accountId;
    await hit("GET", la, 200, { on: limited, params: { accountId: lim } });
    await hit("GET", la, 429, { on: limited, params: { accountId: lim } });
  });

  it("groups", async () => {
    const page = await hit<Page<unknown>>("POST", `${GROUPS}/search`, 200, {
      body: { limit: 3, expand: ["counts.users", "counts.resources"] },
    });
    await hit("POST", `${GROUPS}/search`, 200, { body: { cursor: page.body.links?.next } });
    await hit("POST", `${GROUPS}/search`, 400, { body: { groupNames: ["a"], searchTerm: "b" } });
    await hit("POST", `${GROUPS}/search`, 404, {
      params: { directoryId: "no-such-dir" },
      body: {},
    });
    const g = org.groups.find((x) => x.roles.length > 0)!;
    await hit("GET", `${GROUPS}/{groupId}`, 200, { params: { groupId: g.id } });
    await hit("GET", `${GROUPS}/{groupId}`, 404, { params: { groupId: "nope" } });
    await hit("GET", `${GROUPS}/count`, 200);
    await hit("GET", `${GROUPS}/{groupId}/role-assignments`, 200, { params: { groupId: g.id } });
    await hit("GET", `${GROUPS}/{groupId}/role-assignments`, 404, { params: { groupId: "nope" } });
  });

  it("workspaces", async () => {
    const path = "/v2/orgs/{orgId}/workspaces";
    const first = await hit<WorkspacePage>("POST", path, 200, {
      body: { limit: 2, sort: [{ field: "attributes.typeKey", order: "asc" }] },
    });
    await hit("POST", path, 200, { body: { cursor: first.body.links.next } });
    await hit("POST", path, 200, {
      body: {
        query: {
          and: [
            { field: { name: "attributes.type", values: ["jira"] } },
            { searchWorkspaces: org.workspaces[0]!.siteName },
          ],
        },
      },
    });
    await hit("POST", path, 400, { body: { cursor: "x", limit: 5 } });
    await hit("POST", path, 404, { params: { orgId: "elsewhere" }, body: {} });
    await hit("POST", path, 401, { apiKey: "nope", body: {} });
  });
});

describe("organizations spec 2026-09-24: writes and events", () => {
  it("suspend, restore, remove", async () => {
    const u = person(() => true);
    await hit("POST", `${USERS}/{accountId}/suspend`, 204, { params: { accountId: u.accountId } });
    await hit("POST", `${USERS}/{accountId}/restore`, 204, { params: { accountId: u.accountId } });
    await hit("POST", `${USERS}/{accountId}/suspend`, 404, { params: { accountId: "ghost" } });
    await hit("POST", `${USERS}/{accountId}/restore`, 400, {
      params: { directoryId: "-", accountId: u.accountId },
    });
    await hit("POST", `${USERS}/{accountId}/suspend`, 401, {
      apiKey: "nope",
      params: { accountId: u.accountId },
    });
    const gone = person((x) => x !== u);
    await hit("DELETE", `${USERS}/{accountId}`, 204, { params: { accountId: gone.accountId } });
    await hit("DELETE", `${USERS}/{accountId}`, 404, { params: { accountId: gone.accountId } });
  });

  it("group memberships", async () => {
    const group = org.groups.find(
      (g) => !g.externalSynced && g.directoryId === dir && g.roles.length > 0,
    )!;
    const u = person((x) => !x.groupIds.includes(group.id));
    const members = `${GROUPS}/{groupId}/memberships`;
    await hit("POST", members, 204, {
      params: { groupId: group.id },
      body: { accountId: u.accountId },
    });
    await hit("POST", members, 409, {
      params: { groupId: group.id },
      body: { accountId: u.accountId },
    });
    await hit("POST", members, 400, {
      params: { groupId: group.id },
      body: { account_id: u.accountId },
    });
    await hit("POST", members, 404, {
      params: { groupId: "nope" },
      body: { accountId: u.accountId },
    });
    const synced = org.groups.find((g) => g.externalSynced)!;
    await hit("POST", members, 403, {
      params: { groupId: synced.id },
      body: { accountId: u.accountId },
    });
    await hit("DELETE", `${members}/{accountId}`, 204, {
      params: { groupId: group.id, accountId: u.accountId },
    });
    await hit("DELETE", `${members}/{accountId}`, 404, {
      params: { groupId: group.id, accountId: u.accountId },
    });
  });

  it("groups: list, stats, create, delete, role assignments", async () => {
    await hit("GET", GROUPS, 200, { params: { directoryId: "-" } });
    await hit("GET", `${GROUPS}?limit=500`, 400);
    await hit("GET", `${GROUPS}/stats`, 200);
    const created = await hit<{ id: string }>("POST", GROUPS, 201, {
      body: { name: "reclaim-conformance", description: "made by a test" },
    });
    await hit("POST", GROUPS, 409, { body: { name: "RECLAIM-conformance" } });
    await hit("POST", GROUPS, 400, { body: { description: "no name" } });
    const ws = org.workspaces[0]!.id;
    const roles = `${GROUPS}/{groupId}/role-assignments`;
    await hit("POST", `${roles}/assign`, 200, {
      params: { groupId: created.body.id },
      body: { resourceId: ws, roleId: "atlassian/user" },
    });
    await hit("POST", `${roles}/assign`, 400, {
      params: { groupId: created.body.id },
      body: { resourceId: "ari:cloud:nope::site/1", roleId: "atlassian/user" },
    });
    await hit("POST", `${roles}/assign`, 404, {
      params: { groupId: "nope" },
      body: { resourceId: ws, roleId: "atlassian/user" },
    });
    await hit("POST", `${roles}/revoke`, 204, {
      params: { groupId: created.body.id },
      body: { resourceId: ws, roleId: "atlassian/user" },
    });
    await hit("POST", `${roles}/revoke`, 404, {
      params: { groupId: created.body.id },
      body: { resourceId: ws, roleId: "atlassian/user" },
    });
    await hit("DELETE", `${GROUPS}/{groupId}`, 204, { params: { groupId: created.body.id } });
    await hit("DELETE", `${GROUPS}/{groupId}`, 404, { params: { groupId: created.body.id } });
    const admins = org.groups.find((g) => g.isAdminGroup)!;
    await hit("DELETE", `${GROUPS}/{groupId}`, 403, { params: { groupId: admins.id } });
  });

  it("direct user roles (v1 roles/assign|revoke)", async () => {
    const u = person((x) => x.directRoles.length === 0);
    const ws = org.workspaces[1]!.id;
    const base = "/v1/orgs/{orgId}/users/{userId}/roles";
    await hit("POST", `${base}/assign`, 204, {
      params: { userId: u.accountId },
      body: { role: "atlassian/user", resource: ws },
    });
    await hit("POST", `${base}/assign`, 400, {
      params: { userId: u.accountId },
      body: { role: "atlassian/nope", resource: ws },
    });
    await hit("POST", `${base}/assign`, 404, {
      params: { userId: "ghost" },
      body: { role: "atlassian/user", resource: ws },
    });
    await hit("POST", `${base}/revoke`, 204, {
      params: { userId: u.accountId },
      body: { role: "atlassian/user", resource: ws },
    });
    await hit("POST", `${base}/revoke`, 404, {
      params: { userId: u.accountId },
      body: { role: "atlassian/user", resource: ws },
    });
    await hit("POST", `${base}/revoke`, 401, {
      apiKey: "nope",
      params: { userId: u.accountId },
      body: { role: "atlassian/user", resource: ws },
    });
  });

  it("licence limits: 409 on membership add, direct role assign and group role grant", async () => {
    const ws = org.workspaces.find((w) => w.key === "confluence")!;
    const holds = (u: SimUser) =>
      u.directRoles.some((r) => r.resourceId === ws.id) ||
      u.groupIds.some((g) =>
        org.groups.find((x) => x.id === g)?.roles.some((r) => r.resourceId === ws.id),
      );
    const group = org.groups.find(
      (g) =>
        g.directoryId === dir && !g.externalSynced && g.roles.some((r) => r.resourceId === ws.id),
    )!;
    const u = person((x) => !holds(x));
    sim.setLicenseLimit(0, ws.id, sim.seatsUsed(0, ws.id));
    try {
      await hit("POST", `${GROUPS}/{groupId}/memberships`, 409, {
        params: { groupId: group.id },
        body: { accountId: u.accountId },
      });
      await hit("POST", "/v1/orgs/{orgId}/users/{userId}/roles/assign", 409, {
        params: { userId: u.accountId },
        body: { role: "atlassian/user", resource: ws.id },
      });
      const empty = org.groups.find(
        (g) =>
          g.directoryId === dir &&
          !g.roles.some((r) => r.resourceId === ws.id) &&
          org.users.some(
            (x) =>
              x.groupIds.includes(g.id) &&
              !holds(x) &&
              x.accountStatus === "active" &&
              x.memberships[dir] === "active" &&
              x.accountType === "atlassian",
          ),
      )!;
      await hit("POST", `${GROUPS}/{groupId}/role-assignments/assign`, 409, {
        params: { groupId: empty.id },
        body: { resourceId: ws.id, roleId: "atlassian/user" },
      });
    } finally {
      sim.setLicenseLimit(0, ws.id, null);
    }
  });

  it("delayed writes answer their documented status at once", async () => {
    const u = person(() => true);
    sim.setFaults({ writeDelayMs: 60_000 });
    try {
      await hit("POST", `${USERS}/{accountId}/suspend`, 204, {
        params: { accountId: u.accountId },
      });
      await hit("POST", "/users/{account_id}/manage/lifecycle/disable", 204, {
        spec: "um2023",
        params: {
          account_id: person((x) => x.claimStatus === "managed" && x.managementSource !== "synced")
            .accountId,
        },
        body: { message: "Dormant" },
      });
    } finally {
      sim.setFaults({});
    }
  });

  it("domains", async () => {
    await hit("GET", "/v1/orgs/{orgId}/domains", 200);
    await hit("GET", "/v1/orgs/{orgId}/domains?cursor=bad", 400);
    await hit("GET", "/v1/orgs/{orgId}/domains/{domainId}", 200, {
      params: { domainId: org.domains[0]!.id },
    });
    await hit("GET", "/v1/orgs/{orgId}/domains/{domainId}", 404, { params: { domainId: "nope" } });
  });

  it("audit events", async () => {
    const list = await hit<EventPage>("GET", "/v1/orgs/{orgId}/events?limit=2", 200);
    expect(list.body.data.length).toBe(2);
    await hit("GET", "/v1/orgs/{orgId}/events?cursor=bad", 400);
    await hit("GET", "/v1/orgs/{orgId}/events/{eventId}", 200, {
      params: { eventId: list.body.data[0]!.id },
    });
    await hit("GET", "/v1/orgs/{orgId}/events/{eventId}", 404, { params: { eventId: "nope" } });
    await hit("GET", "/v1/orgs/{orgId}/event-actions", 200);
    await hit("GET", "/v1/orgs/{orgId}/events", 200, { on: limited });
    await hit("GET", "/v1/orgs/{orgId}/events", 429, { on: limited });
  });
});

describe("user-management spec 2023-08-28", () => {
  it("manage and lifecycle", async () => {
    const spec = "um2023" as const;
    const managed = person((x) => x.claimStatus === "managed" && x.managementSource !== "synced");
    const unmanaged = person((x) => x.claimStatus === "unmanaged");
    const base = "/users/{account_id}/manage";
    await hit("GET", base, 200, { spec, params: { account_id: managed.accountId } });
    await hit("GET", base, 200, { spec, params: { account_id: unmanaged.accountId } });
    await hit("GET", base, 404, { spec, params: { account_id: "ghost" } });
    await hit("GET", base, 401, {
      spec,
      apiKey: "nope",
      params: { account_id: managed.accountId },
    });
    await hit("POST", `${base}/lifecycle/disable`, 204, {
      spec,
      params: { account_id: managed.accountId },
      body: { message: "Dormant" },
    });
    await hit("POST", `${base}/lifecycle/disable`, 403, {
      spec,
      params: { account_id: unmanaged.accountId },
      body: {},
    });
    await hit("POST", `${base}/lifecycle/enable`, 204, {
      spec,
      params: { account_id: managed.accountId },
    });
    await hit("POST", `${base}/lifecycle/enable`, 404, { spec, params: { account_id: "ghost" } });
    await hit("POST", `${base}/lifecycle/delete`, 200, {
      spec,
      params: { account_id: managed.accountId },
    });
    await hit("POST", `${base}/lifecycle/cancel-delete`, 200, {
      spec,
      params: { account_id: managed.accountId },
    });
    const admin = org.users.find(
      (u) => u.platformRoles.includes("atlassian/org-admin") && u.managementSource !== "synced",
    )!;
    await hit("POST", `${base}/lifecycle/delete`, 409, {
      spec,
      params: { account_id: admin.accountId },
    });
    await hit("POST", `${base}/lifecycle/delete`, 403, {
      spec,
      params: { account_id: unmanaged.accountId },
    });
  });
});

describe("organizations spec 2023-08-28: legacy v1 writes", () => {
  it("suspend-access, restore-access, remove", async () => {
    const spec = "org2023" as const;
    const u = person(() => true);
    const base = "/v1/orgs/{orgId}/directory/users/{accountId}";
    await hit("POST", `${base}/suspend-access`, 200, { spec, params: { accountId: u.accountId } });
    await hit("POST", `${base}/restore-access`, 200, { spec, params: { accountId: u.accountId } });
    await hit("POST", `${base}/suspend-access`, 404, { spec, params: { accountId: "ghost" } });
    await hit("POST", `${base}/restore-access`, 401, {
      spec,
      apiKey: "nope",
      params: { accountId: u.accountId },
    });
    await hit("DELETE", base, 204, { spec, params: { accountId: u.accountId } });
  });
});

describe("injected server errors on every route", () => {
  /** The spec that documents a simulator route, and its spec-relative template. */
  const specOf = (r: { name: string; template: string }): { spec: SpecName; template: string } =>
    r.template.startsWith("/users/")
      ? { spec: "um2023", template: r.template }
      : { spec: r.name.startsWith("v1.") ? "org2023" : "org2026", template: r.template.slice(6) };

  it("answers 500/502/503/504 in the documented (or named-exception) shape, with rate-limit headers", async () => {
    const faulty = await startSimulator({
      orgs: [{ users: 5, seed: "faulty", now: NOW }],
      clock: () => NOW,
      legacyV1: "on",
      rateLimits: { eventsPerMinute: 100 }, // 4 statuses × 3 event routes exceed the default 10
    });
    try {
      const api = client(faulty);
      const seen = new Map<number, number>();
      for (const status of [500, 502, 503, 504]) {
        faulty.setFaults({ errorRate: 1, statuses: [status] });
        for (const r of routeTable("on")) {
          const path = r.template.replace(/\{(\w+)\}/g, (_m, k: string) =>
            k === "orgId" ? faulty.orgId : "x",
          );
          const reply = await api.call(r.method, path, r.method === "POST" ? {} : undefined);
          expect(reply.status, `${r.method} ${r.template}`).toBe(status);
          const { spec, template } = specOf(r);
          const problems = validator.check({
            spec,
            method: r.method,
            template,
            status,
            body: reply.body,
            text: reply.text,
            headers: reply.headers,
          });
          expect(problems).toEqual([]);
          seen.set(status, (seen.get(status) ?? 0) + 1);
        }
      }
      expect([...seen.values()]).toEqual(Array(4).fill(routeTable("on").length));
      expect(faulty.stats.faults).toBe(4 * routeTable("on").length);
    } finally {
      await faulty.close();
    }
  });
});

describe("coverage", () => {
  it("validated every route the simulator serves against a spec operation", () => {
    const missing = routeTable("on")
      .map((r) => `${r.method} ${shape(r.template)}`)
      .filter((r) => !covered.has(r));
    expect(missing).toEqual([]);
  });

  it("is not vacuous: spec violations are reported", () => {
    const headers = new Headers({
      "x-ratelimit-limit": "1",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": "2026-11-28T12:01:00.000Z",
    });
    const search = {
      spec: "org2026" as const,
      method: "POST",
      template: `${USERS}/search`,
      status: 200,
      headers,
      text: "{}",
    };
    expect(validator.check({ ...search, body: { data: [] } })).toEqual([]);
    expect(
      validator.check({ ...search, body: { data: [{ accountId: "a", lastActive: "x" }] } }),
    ).not.toEqual([]);
    expect(
      validator.check({ ...search, body: { data: [{ accountId: "a", status: "gone" }] } }),
    ).not.toEqual([]);
    expect(validator.check({ ...search, body: { links: {} } })).not.toEqual([]);
    expect(validator.check({ ...search, status: 418, body: { data: [] } })).not.toEqual([]);
    expect(validator.check({ ...search, headers: new Headers(), body: { data: [] } })).not.toEqual(
      [],
    );
    const la = {
      spec: "org2026" as const,
      method: "GET",
      template: "/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates",
      status: 200,
      headers,
      text: "{}",
    };
    const item = {
      id: "ari:cloud:confluence::site/1",
      key: "confluence",
      last_active: "2026-11-28",
    };
    expect(validator.check({ ...la, body: { data: { product_access: [item] } } })).toEqual([]);
    expect(
      validator.check({
        ...la,
        body: { data: { product_access: [{ ...item, last_active: "2026-11-28T10:00:00Z" }] } },
      }),
    ).not.toEqual([]);
    expect(
      validator.check({ ...la, body: { data: { product_access: [{ ...item, key: "jira" }] } } }),
    ).not.toEqual([]);
    // Request bodies are checked too.
    const members = "/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships";
    expect(validator.checkRequest("org2026", "POST", members, { accountId: "a" })).toEqual([]);
    expect(validator.checkRequest("org2026", "POST", members, { account_id: "a" })).not.toEqual([]);
    const assign = "/v1/orgs/{orgId}/users/{userId}/roles/assign";
    expect(
      validator.checkRequest("org2026", "POST", assign, { role: "atlassian/nope" }),
    ).not.toEqual([]);
    expect(validator.checkRequest("org2026", "GET", "/v1/orgs", { x: 1 })).not.toEqual([]);
    // Gateway-only statuses must still carry a matching ProxyError body.
    const gw = { ...search, status: 503, body: { code: 503, message: "Service Unavailable" } };
    expect(validator.check(gw)).toEqual([]);
    expect(validator.check({ ...gw, body: { code: 500, message: "x" } })).not.toEqual([]);
    expect(validator.check({ ...gw, body: { errors: [] } })).not.toEqual([]);
    const um = {
      ...gw,
      spec: "um2023" as const,
      template: "/users/{account_id}/manage",
      method: "GET",
      status: 500,
    };
    expect(validator.check({ ...um, body: { code: 500, message: "boom" } })).toEqual([]);
    expect(validator.check({ ...um, body: { key: "internal" } })).not.toEqual([]);
    expect(
      validator.check({ ...um, status: 418, body: { code: 418, message: "tea" } }),
    ).not.toEqual([]);
  });

  it("uses only named exceptions", () => {
    for (const e of validator.usedExceptions) expect(Object.keys(SPEC_EXCEPTIONS)).toContain(e);
    expect(validator.usedExceptions.has("GATEWAY_BODIES_ON_V2")).toBe(true);
    expect(validator.usedExceptions.has("GATEWAY_5XX_UNDOCUMENTED")).toBe(true);
    expect(validator.usedExceptions.has("USER_MANAGEMENT_GATEWAY_ERRORS")).toBe(true);
  });
});
