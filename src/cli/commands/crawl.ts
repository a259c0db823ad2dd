import { Command, Option } from "commander";
import { withRuntime } from "../../app/runtime.ts";
import { crawlStrategies, type CrawlStrategy } from "../../config/sections/crawl.ts";
import { preflight } from "../../config/preflight.ts";
import { abandonUnfinished } from "../../crawl/run-claim.ts";
import { crawlConfiguredOrgs, type CrawlOutcome } from "../../crawl/crawl-all.ts";
import { configFor, EXIT_FAILURE, untilInterrupted } from "../context.ts";
import { createLogger } from "../../shared/log.ts";
import { formatDuration, progressPrinter, retryNotices } from "../progress.ts";

export function crawlCommand(): Command {
  return new Command("crawl")
    .description(
      "crawl every configured org's users and per-product last activity into the database",
    )
    .addOption(
      new Option(
        "--strategy <strategy>",
        "how to read activity (default: config, else auto)",
      ).choices(crawlStrategies),
    )
    .option("--restart", "give up an unfinished run (killed, failed or incomplete) and start anew")
    .option(
      "--abandon",
      "give up every org's unfinished run so the next crawl starts anew, and exit (no API calls)",
    )
    .option("--json", "print the run summaries as JSON on stdout")
    .addHelpText(
      "after",
      `
Strategies:
  auto      v2 users/search with productAccess (100 users a call); last-active-dates only for
            users the bulk data misses, plus a small random sample cross-checked (default)
  bulk      v2 users/search only
  per-user  one last-active-dates call per user, paced at 200 requests/minute per org

A crawl that is killed, fails or ends incomplete is resumed from its checkpoint the next
time it runs (only what is not stored yet is read again), unless it started more than
crawl.maxResumeAgeHours ago (default 24), --strategy names another strategy than it used,
or --restart is given. Only one crawl of an org runs at a time, across processes and hosts.
A run is "succeeded" only when every user was read; users whose reads failed are never
recorded as inactive. With several orgs, each is crawled on its own: one that fails (a bad
key, its API down) does not stop the others; the exit code is 1 when any org failed.`,
    )
    .action(
      async (
        opts: { strategy?: string; json?: boolean; restart?: boolean; abandon?: boolean },
        command: Command,
      ) => {
        const config = configFor(command, { strategy: opts.strategy });
        preflight(config, opts.abandon ? ["dataDir"] : ["orgs", "dataDir"]);
        if (opts.abandon) {
          await withRuntime(config, async (runtime) => {
            const orgs = await runtime.database.db.selectFrom("orgs").select("org_id").execute();
            let any = false;
            for (const { org_id } of orgs) {
              const gone = await abandonUnfinished(
                { db: runtime.database.db, clock: runtime.clock },
                org_id,
                config.crawl.leaseSeconds * 1000,
              );
              if (gone) {
                any = true;
                console.log(
                  `gave up crawl run ${gone.runId} of org ${org_id} (it was ${gone.status}); the next crawl starts anew`,
                );
              }
            }
            if (!any) console.log("no unfinished crawl run to give up");
          });
          return;
        }
        const progress = progressPrinter();
        const log = createLogger({ write: progress.writeLine });
        const results = await withRuntime(
          config,
          async (runtime) => {
            try {
              return await untilInterrupted((signal) =>
                crawlConfiguredOrgs(runtime, {
                  onProgress: progress.update,
                  onRequest: retryNotices(progress),
                  signal,
                  ...(opts.strategy ? { strategy: opts.strategy as CrawlStrategy } : {}),
                  restart: opts.restart ?? false,
                }),
              );
            } finally {
              progress.end();
            }
          },
          { log },
        );
        if (opts.json) console.log(JSON.stringify(results, null, 2));
        else for (const r of results) console.log(describeCrawl(r));
        if (results.some((r) => r.status !== "succeeded")) process.exitCode = EXIT_FAILURE;
      },
    );
}

/** One line a person can read: what was crawled, how fast, how it ended. */
export function describeCrawl(r: CrawlOutcome): string {
  const org = r.orgName ? `${r.orgName} (${r.orgId})` : r.orgId;
  if (r.runId === null) return `crawl of ${org} FAILED before it started: ${r.error}`;
  if (r.status === "failed") return `crawl of ${org} FAILED (run ${r.runId}): ${r.error ?? ""}`;
  const calls = Object.entries(r.apiCalls)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const rate = r.perUser
    ? `; last-active-dates ${r.perUser.achievedPerMinute}/${r.perUser.limitPerMinute} req/min (${Math.round(r.perUser.utilisation * 100)}% of the limit)`
    : "";
  const state =
    r.status === "succeeded"
      ? "succeeded"
      : `INCOMPLETE: ${r.usersFailed} user(s) could not be read and are not counted as inactive`;
  return (
    `crawl of ${org} ${state} (run ${r.runId}${r.resumed ? ", resumed" : ""}, ${r.strategy}): ` +
    `${r.users} users, ${r.products} products, ${r.removed} newly removed, ` +
    `${r.apiCallsTotal} API calls (${calls}), ${r.rateLimited} rate-limited, ${r.retries} retries, ` +
    `${r.disagreements}/${r.sampled} sampled users disagreed, in ${formatDuration(r.durationMs / 1000)}${rate}`
  );
}
