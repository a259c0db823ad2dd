/**
 * One Admin API client per configured org for the whole process. The client owns the org's
 * rate limiter, so every use-case that calls the API for an org (the crawl, the policy step)
 * must share it: two clients for one org would each pace at the full documented limit and
 * together exceed it. Built once by the composition root (openRuntime).
 */
import {
  createAtlassianClient,
  discoverOrgId,
  type AtlassianClient,
  type RequestEvent,
} from "../atlassian/index.ts";
import type { OrgConfig } from "../config/config.ts";
import type { CrawlConfig } from "../config/sections/crawl.ts";

/** Client settings the demo and tests change to match a fast simulator. */
export interface ClientTuning {
  defaultPerMinute?: number;
  baseDelayMs?: number;
  maxAttempts?: number;
}

export interface OrgClient {
  /**
   * How the org is named before the API is asked: its configured id, else its configured
   * name, else `default` (a single org from ATLASSIAN_API_KEY) or `org-N`. Stable across
   * restarts, so the scheduler's ledger keys on it.
   */
  ref: string;
  org: OrgConfig;
  client: AtlassianClient;
  /** Adds a listener to this client's request events. @returns the function that removes it. */
  observe(listener: (event: RequestEvent) => void): () => void;
  /**
   * The org's id: as configured, else discovered once from the key (`GET /admin/v1/orgs`).
   * @throws the client's typed error when discovery fails (a failed discovery is retried next call).
   */
  orgId(signal?: AbortSignal): Promise<string>;
}

export class OrgClients {
  readonly #byRef = new Map<string, OrgClient>();

  constructor(orgs: readonly OrgConfig[], crawl: CrawlConfig, tuning: ClientTuning = {}) {
    orgs.forEach((org, index) => {
      const ref = uniqueRef(orgRef(org, index, orgs.length), this.#byRef);
      this.#byRef.set(ref, connect(ref, org, crawl, tuning));
    });
  }

  /** Every org, in configuration order. */
  all(): OrgClient[] {
    return [...this.#byRef.values()];
  }

  /** @returns the org with this ref, or undefined. */
  get(ref: string): OrgClient | undefined {
    return this.#byRef.get(ref);
  }
}

function orgRef(org: OrgConfig, index: number, count: number): string {
  if (org.orgId) return org.orgId;
  if (org.name) return org.name;
  return count === 1 ? "default" : `org-${index + 1}`;
}

function uniqueRef(ref: string, taken: ReadonlyMap<string, unknown>): string {
  let candidate = ref;
  for (let n = 2; taken.has(candidate); n++) candidate = `${ref}-${n}`;
  return candidate;
}

function connect(ref: string, org: OrgConfig, crawl: CrawlConfig, tuning: ClientTuning): OrgClient {
  const listeners = new Set<(event: RequestEvent) => void>();
  const client = createAtlassianClient({
    apiKey: org.apiKey,
    baseUrl: org.apiUrl,
    maxConcurrency: crawl.concurrency,
    rateLimits: {
      lastActivePerMinute: crawl.lastActivePerMinute,
      ...(tuning.defaultPerMinute ? { defaultPerMinute: tuning.defaultPerMinute } : {}),
    },
    retry: {
      // A 500 on a read is retried a few times: with a fifth of requests failing a crawl still
      // completes (and a read that still fails is read once more at the end of its phase).
      serverErrorAttempts: 6,
      ...(tuning.baseDelayMs !== undefined ? { baseDelayMs: tuning.baseDelayMs } : {}),
      ...(tuning.maxAttempts !== undefined ? { maxAttempts: tuning.maxAttempts } : {}),
    },
    onRequest: (event) => {
      for (const listener of listeners) listener(event);
    },
  });
  let discovered: Promise<string> | undefined;
  return {
    ref,
    org,
    client,
    observe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    orgId(signal) {
      if (org.orgId) return Promise.resolve(org.orgId);
      discovered ??= discoverOrgId(client, signal ? { signal } : {}).catch((error: unknown) => {
        discovered = undefined;
        throw error;
      });
      return discovered;
    },
  };
}
