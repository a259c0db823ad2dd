/**
 * Atlassian Admin API simulator: a seeded, rate-limited org served over real HTTP at the same
 * paths as `https://api.atlassian.com` (`/admin/v1/...`, `/admin/v2/...`, `/users/{id}/manage...`).
 * Point a client's base URL at `sim.url`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Faults } from "./faults.ts";
import { generateOrg } from "./generate-org.ts";
import { handleRequest } from "./http/handler.ts";
import { compileRoutes } from "./http/route.ts";
import type { SimOrg } from "./model.ts";
import { resolveOptions } from "./options.ts";
import type { FaultOptions, SimulatorOptions } from "./options.ts";
import { OrgState } from "./org-state.ts";
import { RateLimiter } from "./rate-limiter.ts";
import { allRoutes } from "./routes/index.ts";
import { emptyStats } from "./stats.ts";
import type { SimStats } from "./stats.ts";

export type {
  SimActivity,
  SimDirectRole,
  SimDirectory,
  SimDomain,
  SimEvent,
  SimGroup,
  SimGroupRole,
  SimMembershipStatus,
  SimOrg,
  SimUser,
  SimWorkspace,
} from "./model.ts";
export type { FaultOptions, RateLimitOptions, SimulatorOptions } from "./options.ts";
export type { SeedOptions } from "./generate-org.ts";
export type { SimStats } from "./stats.ts";
export type { RateClass } from "./rate-limiter.ts";
export { generateOrg, startOfUtcDay } from "./generate-org.ts";
export { OrgState, DELETION_GRACE_MS } from "./org-state.ts";
export { routeTable } from "./routes/index.ts";
export { EVENT_ACTIONS } from "./routes/events.routes.ts";

/** A running simulator. */
export interface RunningSimulator {
  /** Base URL, e.g. `http://127.0.0.1:4010`; requests go to `${url}/admin/v1/orgs`. */
  url: string;
  port: number;
  /** Ground truth, live (writes through the API mutate it). */
  orgs: SimOrg[];
  /** Id and key of the first org (convenience for single-org use). */
  orgId: string;
  apiKey: string;
  /** Live request counters. */
  stats: SimStats;
  /** Replaces the fault configuration (pass `{}` to turn faults off). */
  setFaults(faults: FaultOptions): void;
  /** Zeroes the counters in `stats` (same object). */
  resetStats(): void;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Generates the orgs and starts the HTTP server.
 * @returns once the server listens.
 * @throws RangeError for invalid options; Error when two orgs share an API key or the port is taken.
 */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const options = resolveOptions(opts);
  const seeds = opts.orgs && opts.orgs.length > 0 ? opts.orgs : [{}];
  const startNow = options.clock();
  const orgs = seeds.map((s, i) =>
    generateOrg(i === 0 || s.seed !== undefined ? s : { ...s, seed: `reclaim-${i}` }, startNow),
  );
  const orgsByKey = new Map<string, OrgState>();
  for (const org of orgs) {
    if (orgsByKey.has(org.apiKey))
      throw new Error(`two simulated orgs share the API key ${org.apiKey}`);
    orgsByKey.set(org.apiKey, new OrgState(org));
  }
  const first = orgs[0];
  if (!first) throw new Error("no org generated");

  let faults = new Faults(opts.faults);
  const stats = emptyStats();
  let baseUrl = "";
  const deps = {
    routes: compileRoutes(allRoutes(options.legacyV1)),
    orgsByKey,
    options,
    limiter: new RateLimiter(options.limits, 60_000 / options.timeScale),
    stats,
    faults: () => faults,
    baseUrl: () => baseUrl,
  };
  const server = createServer((req, res) => {
    void handleRequest(deps, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  baseUrl = `http://${host}:${port}`;

  return {
    url: baseUrl,
    port,
    orgs,
    orgId: first.id,
    apiKey: first.apiKey,
    stats,
    setFaults(f) {
      faults = new Faults(f);
    },
    resetStats() {
      Object.assign(stats, emptyStats());
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
