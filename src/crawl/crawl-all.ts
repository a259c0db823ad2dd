/**
 * The crawl use-case over every configured org: each org with the process's one client for
 * it (and so its rate limiter), all into one database, each org's outcome on its own. One
 * org failing (a bad key, its API down) never fails or cuts short the others; every crawl has
 * settled before this returns, so the caller can close the database safely.
 */
import type { Kysely } from "kysely";
import type { RequestEvent } from "../atlassian/client.ts";
import { OrgClients, type ClientTuning, type OrgClient } from "../app/org-clients.ts";
import type { Runtime } from "../app/runtime.ts";
import type { CrawlConfig, CrawlStrategy } from "../config/sections/crawl.ts";
import type { Database } from "../db/schema.ts";
import type { Clock } from "../shared/clock.ts";
import { errorMessage } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import type { CrawlProgress } from "./context.ts";
import { crawlOrg, CrawlError, type CrawlOrgResult } from "./crawl-org.ts";
import { RequestMeter } from "./metrics.ts";

export interface CrawlAllOptions {
  /** Given explicitly (a flag): an unfinished run with another strategy is given up. */
  strategy?: CrawlStrategy;
  /** Give up unfinished runs and start anew (`--restart`). */
  restart?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: CrawlProgress) => void;
  /** Every request attempt of an org's client (e.g. to show retries), with the org's ref. */
  onRequest?: (event: RequestEvent, org: string) => void;
  /**
   * Client settings for this call only (tests and the demo scale the rate limits with the
   * simulator); builds clients for this call instead of using the process's.
   */
  client?: ClientTuning;
}

/** An org whose crawl could not start: no run was created (bad key, org not found, busy). */
export interface CrawlNotStarted {
  /** The configured org id, else the org's configured label. */
  orgId: string;
  orgName: null;
  runId: null;
  status: "failed";
  error: string;
  durationMs: number;
}

export type CrawlOutcome = CrawlOrgResult | CrawlNotStarted;

/** What crawling one org needs; the client comes from the composition root's OrgClients. */
export interface CrawlOneDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  crawl: CrawlConfig;
  /** Where the data lives, for messages (never a password). */
  databaseLocation?: string;
}

/**
 * Crawls every configured org concurrently.
 * @returns one outcome per org, in configuration order.
 * @throws CrawlError when no org is configured; the abort reason when `signal` aborted
 *   (after every crawl has stopped at its checkpoint).
 */
export async function crawlConfiguredOrgs(
  runtime: Runtime,
  options: CrawlAllOptions = {},
): Promise<CrawlOutcome[]> {
  const { config } = runtime;
  if (config.orgs.length === 0) {
    throw new CrawlError(
      "no org to crawl: set ATLASSIAN_API_KEY (an organization API key created without scopes) or list orgs in the config file; try `reclaim demo` to see Reclaim on a simulated org",
    );
  }
  const clients = options.client
    ? new OrgClients(config.orgs, config.crawl, options.client)
    : (runtime.clients ?? new OrgClients(config.orgs, config.crawl));
  const deps: CrawlOneDeps = {
    db: runtime.database.db,
    clock: runtime.clock,
    log: runtime.log,
    crawl: config.crawl,
    databaseLocation: runtime.database.location,
  };
  const settled = await Promise.allSettled(
    clients.all().map((org) => crawlOneOrg(deps, org, options)),
  );
  if (options.signal?.aborted) throw options.signal.reason;
  return settled.map((s, i) =>
    s.status === "fulfilled" ? s.value : notStarted(clients.all()[i]!, s.reason, 0),
  );
}

/**
 * Crawls one org with the process's client for it.
 * @returns the crawl's result, or a CrawlNotStarted when it failed before a run existed;
 *   failures are outcomes, not exceptions.
 * @throws only the abort reason, when `options.signal` aborted.
 */
export async function crawlOneOrg(
  deps: CrawlOneDeps,
  org: OrgClient,
  options: Omit<CrawlAllOptions, "client"> = {},
): Promise<CrawlOutcome> {
  const started = deps.clock.now().getTime();
  const meter = new RequestMeter();
  const stopMetering = org.observe(meter.record);
  const onRequest = options.onRequest;
  const stopWatching = onRequest ? org.observe((event) => onRequest(event, org.ref)) : undefined;
  let result: CrawlOrgResult;
  try {
    result = await crawlOrg(
      {
        db: deps.db,
        client: org.client,
        meter,
        clock: deps.clock,
        log: deps.log,
        ...(deps.databaseLocation ? { databaseLocation: deps.databaseLocation } : {}),
      },
      {
        orgId: org.org.orgId,
        strategy: options.strategy ?? deps.crawl.strategy,
        strategyGiven: options.strategy !== undefined,
        restart: options.restart ?? false,
        leaseMs: deps.crawl.leaseSeconds * 1000,
        maxResumeAgeMs: deps.crawl.maxResumeAgeHours * 3_600_000,
        databaseRetryMs: deps.crawl.databaseRetrySeconds * 1000,
        concurrency: deps.crawl.concurrency,
        crossCheckSample: deps.crawl.crossCheckSample,
        lastActivePerMinute: deps.crawl.lastActivePerMinute,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
    );
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const outcome = notStarted(org, error, deps.clock.now().getTime() - started);
    deps.log.error(`crawl of org ${org.ref} could not start: ${outcome.error}`, {
      orgId: outcome.orgId,
      status: outcome.status,
    });
    return outcome;
  } finally {
    stopMetering();
    stopWatching?.();
  }
  // One structured line per org (JSON when stderr is not a terminal) for logs and schedulers.
  const { orgId, runId, status, users, products, apiCalls, rateLimited, retries, durationMs } =
    result;
  deps.log.info("crawl finished", {
    orgId,
    runId,
    status,
    users,
    products,
    apiCalls,
    rateLimited,
    retries,
    durationMs,
    ...(result.perUser ? { perUser: result.perUser } : {}),
  });
  return result;
}

function notStarted(org: OrgClient, error: unknown, durationMs: number): CrawlNotStarted {
  return {
    orgId: org.org.orgId ?? org.ref,
    orgName: null,
    runId: null,
    status: "failed",
    // Client errors are redacted at the source; redact again in case a message quotes a body.
    error: org.client.redact(errorMessage(error)),
    durationMs,
  };
}
