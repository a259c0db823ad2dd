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
  })
  .strict()
  .default({ strategy: "auto", concurrency: 8, crossCheckSample: 20, lastActivePerMinute: 200 });

export type CrawlConfig = z.output<typeof crawlSectionSchema>;
