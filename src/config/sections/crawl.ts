/** Config file section `crawl`: how the crawler reads the Admin API. */
import { z } from "zod";

export const crawlStrategies = ["auto", "bulk", "per-user"] as const;
export type CrawlStrategy = (typeof crawlStrategies)[number];

export const crawlSectionSchema = z
  .object({
    strategy: z.enum(crawlStrategies).default("auto"),
    /** Concurrent requests per org (the rate limiter still paces them). */
    concurrency: z.number().int().min(1).max(64).default(8),
    /** Users cross-checked against last-active-dates in `auto` mode. */
    crossCheckSample: z.number().int().min(0).max(10_000).default(20),
    /** Requests per minute per org on last-active-dates (Atlassian documents 200). */
    lastActivePerMinute: z.number().int().positive().default(200),
    /** An unfinished run older than this is given up instead of resumed. */
    maxResumeAgeHours: z
      .number()
      .positive()
      .max(24 * 30)
      .default(24),
    /** A running run whose heartbeat is older than this belongs to a dead process. */
    leaseSeconds: z.number().int().min(30).max(3600).default(120),
    /** How long a crawl keeps retrying when the database goes away, before it stops. */
    databaseRetrySeconds: z.number().int().min(0).max(3600).default(120),
  })
  .strict()
  .default({
    strategy: "auto",
    concurrency: 8,
    crossCheckSample: 20,
    lastActivePerMinute: 200,
    maxResumeAgeHours: 24,
    leaseSeconds: 120,
    databaseRetrySeconds: 120,
  });

export type CrawlConfig = z.output<typeof crawlSectionSchema>;
