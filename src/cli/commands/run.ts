import { Command } from "commander";
import { withRuntime } from "../../app/runtime.ts";
import { runPipeline, type PipelineResult } from "../../app/pipeline.ts";
import { preflight } from "../../config/preflight.ts";
import { configFor, EXIT_FAILURE, untilInterrupted } from "../context.ts";
import { createLogger } from "../../shared/log.ts";
import { progressPrinter, retryNotices } from "../progress.ts";
import { describeCrawl } from "./crawl.ts";
import { deliveryFailed } from "../../email/send-weekly.ts";
import { describeDelivery } from "./email.ts";

export function runCommand(): Command {
  return new Command("run")
    .description("the weekly pipeline once: migrate, crawl, report, email")
    .addHelpText(
      "after",
      `
Crawls every configured org (ATLASSIAN_API_KEY, or orgs in the config file), builds the
dormant-account workbook for each org whose crawl succeeded, and emails it (SMTP_URL, or
.eml files in reports/outbox/). An org whose crawl failed or was incomplete gets no report:
nothing is concluded from partial data. Exits non-zero when any step failed.`,
    )
    .action(async (_opts: unknown, command: Command) => {
      const config = configFor(command);
      preflight(config, ["orgs", "reportsDir", "dataDir"]);
      const progress = progressPrinter();
      const log = createLogger({ write: progress.writeLine });
      const result = await withRuntime(
        config,
        async (runtime) => {
          try {
            return await untilInterrupted((signal) =>
              runPipeline(runtime, {
                crawl: { onProgress: progress.update, onRequest: retryNotices(progress), signal },
                report: { onProgress: progress.update },
              }),
            );
          } finally {
            progress.end();
          }
        },
        { log },
      );
      printPipeline(result);
      if (!pipelineSucceeded(result)) process.exitCode = EXIT_FAILURE;
    });
}

export function printPipeline(result: PipelineResult): void {
  for (const c of result.crawls) console.log(describeCrawl(c));
  for (const r of result.reports) {
    console.log(`workbook: ${r.workbookPath}`);
    console.log(`finance:  ${r.financeWorkbookPath}`);
    console.log(`csv:      ${r.csvPath}`);
  }
  if (result.emailSkipped) console.log(`email step skipped: ${result.emailSkipped}`);
  for (const d of result.deliveries) console.log(describeDelivery(d));
}

export function pipelineSucceeded(result: PipelineResult): boolean {
  return (
    result.crawls.every((c) => c.status === "succeeded") && !result.deliveries.some(deliveryFailed)
  );
}
