import { loadConfig } from "../../../src/config/config.ts";
/** Shared setup for the policy tests: crawl a simulated org with a chosen clock, policy config. */
import type { Kysely } from "kysely";
import { createAtlassianClient, type AtlassianClient } from "../../../src/atlassian/index.ts";
import { policySectionSchema, type PolicyConfig } from "../../../src/config/sections/policy.ts";
import { reportSectionSchema, type ReportConfig } from "../../../src/config/sections/report.ts";
import type { CrawlStrategy } from "../../../src/config/sections/crawl.ts";
import { crawlOrg, type CrawlOrgResult } from "../../../src/crawl/crawl-org.ts";
import { RequestMeter } from "../../../src/crawl/metrics.ts";
import type { Database } from "../../../src/db/schema.ts";
import { systemClock, type Clock } from "../../../src/shared/clock.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import type { RunningSimulator } from "../../../src/simulator/index.ts";

/** Simulated time runs this much faster than real time in policy tests. */
export const TIME_SCALE = 60;

export function simClient(sim: RunningSimulator, orgIndex = 0): AtlassianClient {
  const org = sim.orgs[orgIndex]!;
  return createAtlassianClient({
    apiKey: org.apiKey,
    baseUrl: sim.url,
    rateLimits: { lastActivePerMinute: 200 * TIME_SCALE, defaultPerMinute: 1000 * TIME_SCALE },
    retry: { baseDelayMs: 20, maxDelayMs: 500, maxAttempts: 8 },
  });
}

/** Crawls the simulated org into `db`, with `clock` deciding when the crawl "finished". */
export async function crawl(
  db: Kysely<Database>,
  sim: RunningSimulator,
  options: {
    clock?: Clock;
    strategy?: CrawlStrategy;
    maxAttempts?: number;
    /** The client's fetch (to fail some requests at the network edge). */
    fetch?: typeof fetch;
  } = {},
): Promise<CrawlOrgResult> {
  const org = sim.orgs[0]!;
  const meter = new RequestMeter();
  const client = createAtlassianClient({
    apiKey: org.apiKey,
    baseUrl: sim.url,
    rateLimits: { lastActivePerMinute: 200 * TIME_SCALE, defaultPerMinute: 1000 * TIME_SCALE },
    retry: { baseDelayMs: 20, maxDelayMs: 500, maxAttempts: options.maxAttempts ?? 8 },
    onRequest: meter.record,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return crawlOrg(
    { db, client, meter, clock: options.clock ?? systemClock, log: silentLogger },
    {
      orgId: org.id,
      strategy: options.strategy ?? "bulk",
      concurrency: 8,
      crossCheckSample: 0,
      lastActivePerMinute: 200 * TIME_SCALE,
      // every crawl a new run, as a nightly crawl after a finished one is
      restart: true,
    },
  );
}

/** A policy section as the config file would give it (defaults applied). */
export function policyConfig(over: Record<string, unknown> = {}): PolicyConfig {
  return policySectionSchema.parse({
    rules: [{ name: "idle-90", idleDays: 90 }],
    maxActions: 100_000,
    maxPercent: 100,
    warnDays: 0,
    ...over,
  });
}

export const reportConfig: ReportConfig = reportSectionSchema.parse({});

/** Parses one RFC 4180 CSV document into records keyed by the header row. */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries((header ?? []).map((h, i) => [h, r[i] ?? ""])));
}

/** The default SMTP settings, for transports built by hand in tests. */
export const TEST_SMTP = loadConfig({}, {}, "/nonexistent").email.smtp;
