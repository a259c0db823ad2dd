import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { AtlassianClient } from "../../../src/atlassian/index.ts";
import {
  ClientError,
  createAtlassianClient,
  NotFoundError,
  removeUser,
  restoreUser,
  suspendUser,
} from "../../../src/atlassian/index.ts";
import type { RunningSimulator, SimOrg, SimUser } from "../../../src/simulator/index.ts";
import { startWithClient } from "./sim-client.ts";

/*
 * The v1 legacy fallback, end to end over HTTP. The simulator always serves the v2 writes, so a
 * small proxy in front of it plays an API where the v2 suspend/restore/remove routes do not exist
 * (404 from the gateway, as for any unknown path) and forwards everything else, v1 included.
 */

const V2_WRITE =
  /^\/admin\/v2\/orgs\/[^/]+\/directories\/[^/]+\/users\/[^/]+(\/suspend|\/restore)?$/;

function isV2Write(req: IncomingMessage): boolean {
  const p = new URL(req.url ?? "/", "http://proxy.local").pathname;
  const m = V2_WRITE.exec(p);
  if (!m) return false;
  return m[1] ? req.method === "POST" : req.method === "DELETE";
}

async function startV2GoneProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const to = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (isV2Write(req)) {
      req.resume();
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: 404, message: "Not Found" }));
      return;
    }
    const up = httpRequest(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function member(org: SimOrg, dir: string, exclude: string[] = []): SimUser {
  const u = org.users.find(
    (x) =>
      !exclude.includes(x.accountId) &&
      x.accountStatus === "active" &&
      x.managementSource !== "synced" &&
      x.memberships[dir] === "active" &&
      Object.keys(x.memberships).length === 1 &&
      x.platformRoles.length === 0,
  );
  if (!u) throw new Error("seed has no plain member");
  return u;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setUp(legacyV1: "on" | "sunset" | "off", proxied: boolean) {
  const { sim, client: direct, orgId } = await startWithClient({ legacyV1 });
  cleanups.push(() => sim.close());
  let client: AtlassianClient = direct;
  if (proxied) {
    const proxy = await startV2GoneProxy(sim.url);
    cleanups.push(() => proxy.close());
    client = createAtlassianClient({
      apiKey: sim.apiKey,
      baseUrl: proxy.url,
      retry: { baseDelayMs: 20, maxDelayMs: 200 },
    });
  }
  const org = sim.orgs[0]!;
  const dir = org.directories[0]!.directoryId;
  return { sim, client, orgId, org, dir };
}

const v1Calls = (sim: RunningSimulator) =>
  (sim.stats.byRoute["v1.suspendAccess"] ?? 0) +
  (sim.stats.byRoute["v1.restoreAccess"] ?? 0) +
  (sim.stats.byRoute["v1.removeUser"] ?? 0);

describe("v1 legacy fallback against the simulator", () => {
  it("v2 writes gone: suspend/restore land on v1 (200 {message}), remove on v1 (204), repeats are 'already'", async () => {
    const { sim, client, orgId, org, dir } = await setUp("on", true);
    const u = member(org, dir);
    const p = { orgId, directoryId: dir, accountId: u.accountId, legacyFallback: true };

    expect(await suspendUser(client, p)).toBe("done");
    expect(u.memberships[dir]).toBe("suspended");
    expect(sim.stats.byRoute["v1.suspendAccess"]).toBe(1);
    expect(await suspendUser(client, { ...p, precheck: true })).toBe("already");
    expect(sim.stats.byRoute["v1.suspendAccess"]).toBe(1);

    expect(await restoreUser(client, p)).toBe("done");
    expect(u.memberships[dir]).toBe("active");
    expect(sim.stats.byRoute["v1.restoreAccess"]).toBe(1);

    expect(await removeUser(client, p)).toBe("done");
    expect(u.memberships[dir]).toBeUndefined();
    expect(sim.stats.byRoute["v1.removeUser"]).toBe(1);
    // v1 answers 404 ADMIN-404-8 for a user that is no longer there
    expect(await removeUser(client, p)).toBe("already");
    expect(sim.stats.byRoute["v1.removeUser"]).toBe(2);
  });

  it("without legacyFallback a missing v2 endpoint is an error, and v1 is never called", async () => {
    const { sim, client, orgId, org, dir } = await setUp("on", true);
    const u = member(org, dir);
    const p = { orgId, directoryId: dir, accountId: u.accountId };
    await expect(suspendUser(client, p)).rejects.toBeInstanceOf(NotFoundError);
    await expect(removeUser(client, p)).rejects.toBeInstanceOf(NotFoundError);
    expect(u.memberships[dir]).toBe("active");
    expect(v1Calls(sim)).toBe(0);
  });

  for (const mode of ["sunset", "off"] as const) {
    it(`v2 gone and v1 ${mode === "sunset" ? "sunset (410)" : "unknown (404)"}: the write fails loudly, never "done"`, async () => {
      const { client, orgId, org, dir } = await setUp(mode, true);
      const u = member(org, dir);
      const p = { orgId, directoryId: dir, accountId: u.accountId, legacyFallback: true };
      for (const write of [suspendUser, restoreUser, removeUser]) {
        const e = await write(client, p).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(mode === "sunset" ? ClientError : NotFoundError);
        expect((e as ClientError).status).toBe(mode === "sunset" ? 410 : 404);
      }
      expect(u.memberships[dir]).toBe("active");
    });
  }

  it("a wrong directoryId is NotFoundError from v2, never a v1 write across every directory", async () => {
    const { sim, client, orgId, org, dir } = await setUp("on", false);
    const u = member(org, dir);
    const p = {
      orgId,
      directoryId: "00000000-0000-0000-0000-00000000dead",
      accountId: u.accountId,
      legacyFallback: true,
    };
    for (const write of [suspendUser, removeUser]) {
      const e = await write(client, p).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(NotFoundError);
    }
    expect(u.memberships[dir]).toBe("active");
    expect(v1Calls(sim)).toBe(0);
  });
});
