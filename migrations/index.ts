/**
 * Every migration, in order. Kysely runs them by name, so names sort by date and never change.
 * Listed statically (not read from disk) so the same list works from source, tests and builds.
 */
import type { Migration } from "kysely";
import * as initialSchema from "./2026-11-28T00-initial-schema.ts";
import * as reportRuns from "./2026-11-28T01-report-runs.ts";
import * as emailDeliveries from "./2026-11-28T02-email-deliveries.ts";
import * as crawlUserChecks from "./2026-11-28T03-crawl-user-checks.ts";
import * as userDirectRoles from "./2026-12-01T04-user-direct-roles.ts";
import * as groupHistoryAndStats from "./2026-12-01T05-group-history-and-stats.ts";
import * as oneRunningCrawl from "./2026-12-01T06-one-running-crawl.ts";
import * as emailDeliveryClaims from "./2026-12-01T10-email-delivery-claims.ts";
import * as scheduleLedger from "./2026-12-01T15-schedule-ledger.ts";
import * as policy from "./2026-12-01T20-policy.ts";

export const migrations: Record<string, Migration> = {
  "2026-11-28T00-initial-schema": initialSchema,
  "2026-11-28T01-report-runs": reportRuns,
  "2026-11-28T02-email-deliveries": emailDeliveries,
  "2026-11-28T03-crawl-user-checks": crawlUserChecks,
  "2026-12-01T04-user-direct-roles": userDirectRoles,
  "2026-12-01T05-group-history-and-stats": groupHistoryAndStats,
  "2026-12-01T06-one-running-crawl": oneRunningCrawl,
  "2026-12-01T10-email-delivery-claims": emailDeliveryClaims,
  "2026-12-01T15-schedule-ledger": scheduleLedger,
  "2026-12-01T20-policy": policy,
};
