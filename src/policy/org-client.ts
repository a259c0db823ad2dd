/**
 * The Admin API client for a plan's org, built from the config the way the crawl builds its
 * own (same key, base URL and limits), for commands run on their own. Inside one process that
 * also crawls, pass the crawl's client instead, so both share one rate limiter.
 */
import { createAtlassianClient, type AtlassianClient } from "../atlassian/index.ts";
import type { Config, OrgConfig } from "../config/config.ts";
import { PolicyRefusal } from "./errors.ts";

/**
 * The configured org with this id; the only configured org when it names no id (its key is
 * then trusted to be that org's: the API refuses it otherwise).
 * @throws PolicyRefusal when no configured org matches
 */
export function orgConfigFor(config: Config, orgId: string): OrgConfig {
  const exact = config.orgs.find((o) => o.orgId === orgId);
  if (exact) return exact;
  const unnamed = config.orgs.filter((o) => o.orgId === undefined);
  if (unnamed.length === 1 && config.orgs.length === 1) return unnamed[0]!;
  throw new PolicyRefusal(
    `no API key configured for org ${orgId}: set ATLASSIAN_API_KEY (and ATLASSIAN_ORG_ID=${orgId}) or list the org in the config file`,
  );
}

export function clientFor(config: Config, org: OrgConfig): AtlassianClient {
  return createAtlassianClient({
    apiKey: org.apiKey,
    baseUrl: org.apiUrl,
    maxConcurrency: config.crawl.concurrency,
    rateLimits: { lastActivePerMinute: config.crawl.lastActivePerMinute },
  });
}
