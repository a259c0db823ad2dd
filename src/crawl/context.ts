/** What every crawl phase shares: where to read, where to write, and the run being filled. */
import type { Kysely } from "kysely";
import type { AtlassianClient } from "../atlassian/index.ts";
import type { CrawlStrategy } from "../config/sections/crawl.ts";
import type { Database } from "../db/schema.ts";
import type { Clock } from "../shared/clock.ts";
import type { Logger } from "../shared/log.ts";
import type { ProductCatalog } from "./product-catalog.ts";

export interface CrawlProgress {
  orgId: string;
  /** Added by crawlOrg once the org is known. */
  orgName?: string | null;
  phase: "catalog" | "users" | "per-user" | "finalise" | "done";
  done: number;
  total: number | undefined;
  /** Requests in the last minute per endpoint class, each against its own limit. */
  rates?: { endpoint: string; perMinute: number; limitPerMinute: number }[];
  etaSeconds?: number;
}

export interface CrawlContext {
  db: Kysely<Database>;
  client: AtlassianClient;
  clock: Clock;
  log: Logger;
  orgId: string;
  runId: number;
  strategy: CrawlStrategy;
  /** Concurrent last-active-dates calls (the client's limiter still paces them). */
  concurrency: number;
  crossCheckSample: number;
  lastActivePerMinute: number;
  signal: AbortSignal | undefined;
  onProgress: (p: CrawlProgress) => void;
  /** Reads and writes the run's checkpoint (committed with the data it describes). */
  checkpoint: Checkpoint;
  catalog?: ProductCatalog;
}

/** The process crawling a run; `token` tells two claims by one process apart. */
export interface RunOwner {
  pid: number;
  host: string;
  token: string;
}

/** Where a run stands; stored in crawl_runs.checkpoint. */
export interface Checkpoint {
  owner: RunOwner;
  catalogDone: boolean;
  /** Cursor of the next users/search page; undefined before the first page. */
  usersCursor?: string | undefined;
  usersDone: boolean;
  usersPages: number;
  usersTotal?: number | undefined;
  sampleQueued: boolean;
  /** The one extra pass over transient failures has been queued. */
  retriedFailures?: boolean;
  /** The cross-check disagreed enough that every user's activity is read per user. */
  escalated?: boolean;
  /** Counters carried over from earlier sessions of a resumed run. */
  carried?: { apiCalls: Record<string, number>; rateLimited: number; retries: number };
}
