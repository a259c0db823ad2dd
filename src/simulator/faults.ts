import type { FaultOptions, FaultSelector, OmittableUserField, StallMode } from "./options.ts";
import { CATALOG_ROUTES, validateFaults } from "./options.ts";
import { createRng, hashUnit } from "./prng.ts";
import type { Rng } from "./prng.ts";

const DEFAULT_OMITTED: readonly OmittableUserField[] = ["name", "accountType", "membershipStatus"];

/** Seeded fault dice and record selectors; replaced wholesale by `setFaults`. */
export class Faults {
  readonly options: FaultOptions;
  private readonly rng: Rng;
  private readonly seed: string;
  private readonly alwaysFail: ReadonlySet<string>;
  private readonly routeRates = new Map<string, number>();
  private readonly stallRoutes: ReadonlySet<string> | undefined;
  /** Authenticated requests answered since these faults were set (for `deleteUsers`). */
  private requests = 0;
  private deletionDone = false;

  constructor(options: FaultOptions = {}) {
    this.options = validateFaults({ ...options });
    this.seed = String(options.seed ?? "faults");
    this.rng = createRng(`faults:${this.seed}`);
    this.alwaysFail = new Set(options.alwaysFailAccountIds ?? []);
    for (const [route, rate] of Object.entries(options.routeErrorRates ?? {})) {
      for (const name of route === "catalog" ? CATALOG_ROUTES : [route])
        this.routeRates.set(name, rate);
    }
    this.stallRoutes = options.stall?.routes ? new Set(options.stall.routes) : undefined;
  }

  /** Extra latency for this request in real ms (0 when off). */
  latency(): number {
    const l = this.options.latencyMs;
    if (l === undefined) return 0;
    if (typeof l === "number") return Math.max(0, l);
    return Math.max(0, l[0] + this.rng.next() * (l[1] - l[0]));
  }

  /** A status to fail a request on `route` with at random, or undefined. */
  randomError(route: string): number | undefined {
    const rate = this.routeRates.get(route) ?? this.options.errorRate ?? 0;
    if (rate <= 0 || !this.rng.chance(rate)) return undefined;
    return this.rng.pick(
      this.options.statuses?.length ? this.options.statuses : [500, 502, 503, 504],
    );
  }

  /** Whether a request that carries a cursor should be told the cursor is stale. */
  staleCursor(): boolean {
    const rate = this.options.staleCursorRate ?? 0;
    return rate > 0 && this.rng.chance(rate);
  }

  /** How a request on `route` stalls, or undefined when it answers normally. */
  stall(route: string): StallMode | undefined {
    const s = this.options.stall;
    if (!s || (this.stallRoutes && !this.stallRoutes.has(route))) return undefined;
    const rate = s.rate ?? 1;
    if (rate <= 0 || (rate < 1 && !this.rng.chance(rate))) return undefined;
    return s.mode ?? "no-response";
  }

  failsUser(accountId: string | undefined): boolean {
    return accountId !== undefined && this.alwaysFail.has(accountId);
  }

  /** Whether `selector` picks the record `id` (stable for a fault seed; `kind` separates the
   * draws of different faults). */
  private picks(selector: FaultSelector | undefined, kind: string, id: string): boolean {
    if (selector === undefined || selector === false) return false;
    if (selector === true) return true;
    if (typeof selector === "number") return hashUnit(`${this.seed}:${kind}:${id}`) < selector;
    return selector.includes(id);
  }

  /** Whether v2 `productAccess` of `accountId` on `workspaceId` lacks its timestamp. */
  dropsLastActive(accountId: string, workspaceId: string): boolean {
    const sel = this.options.productAccessWithoutTimestamp;
    if (Array.isArray(sel)) return sel.includes(accountId);
    return this.picks(sel, "productAccess", `${accountId}|${workspaceId}`);
  }

  dropsGroups(accountId: string): boolean {
    return this.picks(this.options.omitGroupsExpansion, "groups", accountId);
  }

  nullsGroupName(groupId: string): boolean {
    return this.picks(this.options.nullGroupNames, "groupName", groupId);
  }

  /** The v2 fields to leave out of this account's records (empty when none). */
  omittedFields(accountId: string): readonly OmittableUserField[] {
    const o = this.options.omitUserFields;
    if (!o || !this.picks(o.accounts, "fields", accountId)) return [];
    return o.fields ?? DEFAULT_OMITTED;
  }

  /** A timestamp formatter for this account: identity, or lowercase `t`/`z`. */
  timestamps(accountId: string): (iso: string) => string {
    return this.picks(this.options.lowercaseTimestamps, "timestamps", accountId)
      ? (iso) => iso.replace("T", "t").replace(/Z$/, "z")
      : (iso) => iso;
  }

  get endlessCursors(): boolean {
    return this.options.endlessCursors ?? false;
  }

  /** Counts an answered request; returns the accounts to delete when their moment has come. */
  countRequest(): readonly string[] {
    this.requests++;
    const d = this.options.deleteUsers;
    if (!d || this.deletionDone || this.requests <= (d.afterRequests ?? 0)) return [];
    this.deletionDone = true;
    return d.accountIds;
  }

  get html(): boolean {
    return this.options.htmlErrorBodies ?? false;
  }

  get lagMs(): number {
    return Math.max(0, this.options.readAfterWriteLagMs ?? 0);
  }

  get writeDelayMs(): number {
    return Math.max(0, this.options.writeDelayMs ?? 0);
  }
}
