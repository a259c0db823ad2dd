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
import type { SimActivity, SimEvent, SimOrg, SimUser } from "./model.ts";
import { resolveOptions } from "./options.ts";
import type { FaultOptions, SimulatorOptions } from "./options.ts";
import { OrgState } from "./org-state.ts";
import type { OrgSnapshot } from "./org-state.ts";
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
  SimEventRequest,
  SimGroup,
  SimGroupRole,
  SimMembershipStatus,
  SimOrg,
  SimUser,
  SimWorkspace,
} from "./model.ts";
export type {
  FaultOptions,
  FaultSelector,
  OmittableUserField,
  RateLimitOptions,
  SimulatorOptions,
  StallMode,
} from "./options.ts";
export { CATALOG_ROUTES, validateFaults } from "./options.ts";
export type { OrgSnapshot, UserSnapshot, WriteOptions } from "./org-state.ts";
export type { SeedOptions } from "./generate-org.ts";
export type { SimStats } from "./stats.ts";
export type { RateClass } from "./rate-limiter.ts";
export { generateOrg, startOfUtcDay } from "./generate-org.ts";
export { OrgState, DELETION_GRACE_MS } from "./org-state.ts";
export { routeTable } from "./routes/index.ts";
export { EVENT_ACTIONS } from "./routes/events.routes.ts";

/** Names one simulated org: its index in `orgs` (default 0) or its id. */
export type OrgRef = number | string;

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
  /** How app and customer accounts appear in v2 (see `SimulatorOptions.accountTypes`). */
  accountTypes: "spec" | "legacy";
  /** Replaces the fault configuration (pass `{}` to turn faults off). Writes already accepted
   * under `writeDelayMs` keep their due time. */
  setFaults(faults: FaultOptions): void;
  /** Zeroes the counters in `stats` (same object). */
  resetStats(): void;
  /**
   * The org's write-mutable state: per account its `accountStatus`, `memberships` (directory →
   * active/suspended), sorted `groupIds`, `directRoles` (`role@resourceId`) and
   * `platformRoles`, `deactivatedOn`, `deletionScheduledAt`; per group its name, directory and
   * roles. A fresh plain object: compare two with `toEqual`. Due delayed writes apply first.
   */
  snapshot(org?: OrgRef): OrgSnapshot;
  /** The org's audit events, oldest first, as copies. Each API write that changed something
   * appended exactly one; `request` names the route, method and path that made it. */
  auditEvents(org?: OrgRef): SimEvent[];
  /** Records product use outside the API (a user active between crawl and apply): the user's
   * last activity on the product becomes `atMs` (ms epoch) unless already later, which
   * last-active-dates, v2 `productAccess` and v1 `/users` then report. `product` is a workspace
   * ARI or a product key matching exactly one workspace. Returns the stored timestamp.
   * Throws RangeError for an unknown org, user or product, an ambiguous key, or a product the
   * user holds no role on. No audit event. */
  recordActivity(org: OrgRef, accountId: string, product: string, atMs: number): string;
  /** Deletes an account outside the API (as if removed between two reads): per-user reads then
   * answer 404 and it leaves every list and `orgs[i].users`. No audit event. Returns false when
   * the account is unknown. */
  deleteUser(org: OrgRef, accountId: string): boolean;
  /** Sets (seats) or lifts (null) the enforced licence limit of every workspace matching a
   * product key or ARI; `capacity` follows. Throws RangeError when nothing matches. */
  setLicenseLimit(org: OrgRef, product: string, seats: number | null): void;
  /** Licensed seats in use on a workspace (active people with an active membership holding a
   * non-customer role there), as licence limits count them. */
  seatsUsed(org: OrgRef, resourceId: string): number;
  /** The accounts v2 user reads list under directory `-` (people, plus apps and customers in
   * "legacy" mode), in list order: what a crawl of the v2 directory can see. */
  directoryUsers(org?: OrgRef): SimUser[];
  /** The activity reads report for an account: entries on products it still holds a role on. */
  visibleActivity(org: OrgRef, accountId: string): SimActivity[];
  /** Writes accepted under `faults.writeDelayMs` that have not taken effect yet. */
  pendingWrites(org?: OrgRef): number;
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
    orgsByKey.set(org.apiKey, new OrgState(org, { accountTypes: options.accountTypes }));
  }
  const states = [...orgsByKey.values()];
  /** The org's state with due delayed writes applied. */
  const stateOf = (ref: OrgRef = 0): OrgState => {
    const state = typeof ref === "number" ? states[ref] : states.find((s) => s.org.id === ref);
    if (!state) throw new RangeError(`no simulated org ${String(ref)}`);
    state.tick(options.clock());
    return state;
  };
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
    accountTypes: options.accountTypes,
    setFaults(f) {
      faults = new Faults(f);
    },
    resetStats() {
      // Requests still being handled stay counted: they end after the reset.
      Object.assign(stats, emptyStats(), { inFlight: stats.inFlight });
    },
    snapshot: (org) => stateOf(org).snapshot(),
    auditEvents: (org) => structuredClone(stateOf(org).org.events),
    recordActivity(org, accountId, product, atMs) {
      const state = stateOf(org);
      const ids = state.resolveResources(product);
      if (ids.length > 1) {
        throw new RangeError(
          `product ${product} names ${ids.length} workspaces; pass one ARI: ${ids.join(", ")}`,
        );
      }
      return state.recordActivity(accountId, ids[0] ?? product, atMs);
    },
    deleteUser: (org, accountId) => stateOf(org).deleteUser(accountId),
    setLicenseLimit(org, product, seats) {
      const state = stateOf(org);
      for (const id of state.resolveResources(product)) state.setLicenseLimit(id, seats);
    },
    seatsUsed: (org, resourceId) => stateOf(org).seatsUsed(resourceId),
    directoryUsers(org) {
      const state = stateOf(org);
      return state.org.users.filter((u) => state.visibleIn(u, "-"));
    },
    visibleActivity(org, accountId) {
      const state = stateOf(org);
      const u = state.user(accountId);
      return u ? state.visibleActivity(u) : [];
    },
    pendingWrites: (org) => stateOf(org).pendingWriteCount,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
