import path from "node:path";
import { Command } from "commander";
import { withRuntime } from "../../app/runtime.ts";
import { runPipeline } from "../../app/pipeline.ts";
import { startSimulator } from "../../simulator/index.ts";
import { preflight } from "../../config/preflight.ts";
import { configFor, EXIT_FAILURE, parsePositiveInt, withCliName } from "../context.ts";
import { createLogger } from "../../shared/log.ts";
import { progressPrinter, retryNotices } from "../progress.ts";
import { policySectionSchema } from "../../config/sections/policy.ts";
import { describePlan } from "./policy.ts";
import { pipelineSucceeded, printPipeline } from "./run.ts";

/** The plan the demo shows when the config has no policy rules: the report's own threshold. */
function demoRules(dormantAfterDays: number) {
  return policySectionSchema.parse({
    rules: [{ name: `idle-${dormantAfterDays}`, idleDays: dormantAfterDays }],
  }).rules;
}

/** Simulated API minutes per real minute: the documented 200/min becomes 12,000/min. */
const TIME_SCALE = 60;

export function demoCommand(): Command {
  return new Command("demo")
    .description("the weekly pipeline against a built-in simulated org: no key, server or setup")
    .option("--users <n>", "users in the simulated org", parsePositiveInt("--users"), 3000)
    .option("--seed <seed>", "seed of the simulated org (same seed, same org)", "reclaim-demo")
    .addHelpText(
      "after",
      `
Starts the Admin API simulator in this process, crawls it into an embedded database
(<data-dir>/demo, or DATABASE_URL when set), builds the dormant-account workbook in the
reports folder and writes the weekly email to reports/outbox/. Run it again to see the
trend grow and the email ledger refuse to send the same week twice.`,
    )
    .action(async (opts: { users: number; seed: string }, command: Command) => {
      const config = configFor(command);
      preflight(config, ["reportsDir", "dataDir"]);
      const sim = await startSimulator({
        orgs: [{ users: opts.users, seed: opts.seed, name: "Demo Org" }],
        timeScale: TIME_SCALE,
      });
      try {
        console.log(
          `simulated Atlassian org "${sim.orgs[0]?.name ?? "demo"}" with ${sim.directoryUsers().length} users (and ${opts.users - sim.directoryUsers().length} app and customer accounts) at ${sim.url}`,
        );
        const demoConfig = {
          ...config,
          dataDir: path.join(config.dataDir, "demo"),
          orgs: [{ name: "demo", orgId: sim.orgId, apiKey: sim.apiKey, apiUrl: sim.url }],
          smtpUrl: undefined,
          crawl: { ...config.crawl, lastActivePerMinute: 200 * TIME_SCALE },
          email: {
            ...config.email,
            to: config.email.to.length > 0 ? config.email.to : ["it-admins@example.com"],
            financeTo:
              config.email.financeTo.length > 0 ? config.email.financeTo : ["finance@example.com"],
          },
        };
        const progress = progressPrinter();
        const log = createLogger({ write: progress.writeLine });
        const result = await withRuntime(
          demoConfig,
          async (runtime) => {
            console.log(`database: ${runtime.database.location}`);
            try {
              return await runPipeline(runtime, {
                crawl: {
                  onProgress: progress.update,
                  onRequest: retryNotices(progress),
                  client: { defaultPerMinute: 1000 * TIME_SCALE },
                },
                report: { onProgress: progress.update },
                // A dry-run plan, to show what the policy step would do: never applied here.
                policy: { actor: "demo", rulesWhenNone: demoRules(config.report.dormantAfterDays) },
              });
            } finally {
              progress.end();
            }
          },
          { log },
        );
        printPipeline(result);
        for (const p of result.plans ?? []) {
          if (p.ok) console.log(`\n${describePlan(p.plan)}\n  (the demo never applies a plan)`);
          else console.log(`policy plan refused: ${p.refusal}`);
        }
        if (!pipelineSucceeded(result)) process.exitCode = EXIT_FAILURE;
        else
          console.log(
            withCliName(
              "\nOpen the workbook above. To crawl your real org: set ATLASSIAN_API_KEY and run `reclaim run`.",
            ),
          );
      } finally {
        await sim.close();
      }
    });
}
