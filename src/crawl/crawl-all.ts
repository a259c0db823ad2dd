/**
 * The crawl use-case: every configured org at once, each with its own API client (and so its
 * own rate limiter), into one database.
 */
import { createAtlassianClient } from "../atlassian/index.ts";
import type { Runtime } from "../app/runtime.ts";
import type { CrawlStrategy } from "../config/sections/crawl.ts";
import type { OrgConfig } from "../config/config.ts";
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
  /** Extra client settings (tests and the demo scale the rate limits with the simulator). */
  client?: { defaultPerMinute?: number; baseDelayMs?: number; maxAttempts?: number };
}

export async function crawlConfiguredOrgs(
  runtime: Runtime,
  options: CrawlAllOptions = {},
): Promise<CrawlOrgResult[]> {
  const { config } = runtime;
  if (config.orgs.length === 0) {
    throw new CrawlError(
      "no org to crawl: set ATLASSIAN_API_KEY (an organization API key created without scopes) or list orgs in the config file; try `reclaim demo` to see Reclaim on a simulated org",
    );
  }
  return Promise.all(config.orgs.map((org) => crawlOne(runtime, org, options)));
}

async function crawlOne(
  runtime: Runtime,
  org: OrgConfig,
  options: CrawlAllOptions,
): Promise<CrawlOrgResult> {
  const { config } = runtime;
  const meter = new RequestMeter();
  const client = createAtlassianClient({
    apiKey: org.apiKey,
    baseUrl: org.apiUrl,
    maxConcurrency: config.crawl.concurrency,
    rateLimits: {
      lastActivePerMinute: config.crawl.lastActivePerMinute,
      ...(options.client?.defaultPerMinute
        ? { defaultPerMinute: options.client.defaultPerMinute }
        : {}),
    },
    retry: {
      ...(options.client?.baseDelayMs !== undefined
        ? { baseDelayMs: options.client.baseDelayMs }
        : {}),
      ...(options.client?.maxAttempts !== undefined
        ? { maxAttempts: options.client.maxAttempts }
        : {}),
    },
    onRequest: meter.record,
  });
  const result = await crawlOrg(
    {
      db: runtime.database.db,
      client,
      meter,
      clock: runtime.clock,
      log: runtime.log,
      databaseLocation: runtime.database.location,
    },
    {
      orgId: org.orgId,
      strategy: options.strategy ?? config.crawl.strategy,
      strategyGiven: options.strategy !== undefined,
      restart: options.restart ?? false,
      leaseMs: config.crawl.leaseSeconds * 1000,
      maxResumeAgeMs: config.crawl.maxResumeAgeHours * 3_600_000,
      databaseRetryMs: config.crawl.databaseRetrySeconds * 1000,
      concurrency: config.crawl.concurrency,
      crossCheckSample: config.crawl.crossCheckSample,
      lastActivePerMinute: config.crawl.lastActivePerMinute,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    },
  );
  // One structured line per org (JSON when stderr is not a terminal) for logs and schedulers.
  const { orgId, runId, status, users, products, apiCalls, rateLimited, retries, durationMs } =
    result;
  runtime.log.info("crawl finished", {
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
