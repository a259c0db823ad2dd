/**
 * `reclaim` — the command-line entry. Thin: parse, dispatch to one command file, map
 * errors to exit codes (2 for usage/config, 1 for failed work). Output formatting lives in
 * the command files.
 */
import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/config.ts";
import { DatabaseConnectionError } from "../db/connect.ts";
import { configCommand } from "./commands/config.ts";
import { crawlCommand } from "./commands/crawl.ts";
import { demoCommand } from "./commands/demo.ts";
import { emailCommand } from "./commands/email.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { policyCommand } from "./commands/policy.ts";
import { reportCommand } from "./commands/report.ts";
import { runCommand } from "./commands/run.ts";
import { simulatorCommand } from "./commands/simulator.ts";
import { EXIT_FAILURE, EXIT_USAGE, UsageError } from "./context.ts";

const program = new Command("reclaim")
  .description("Find and reclaim unused Atlassian Cloud seats.")
  .addHelpText(
    "after",
    `
Reclaim crawls every user's last activity per product into Postgres, builds
dormant-account workbooks and emails them weekly.

First time? Run \`reclaim demo\` (or \`npm start\`): a simulated org, an embedded
database, no key and no setup. For a real org, set ATLASSIAN_API_KEY to an
organization API key created WITHOUT scopes (admin.atlassian.com > Settings >
API keys), then run \`reclaim run\`. Every command has --help.`,
  )
  .option(
    "--config <file>",
    "JSON config file (default ./reclaim.config.json when present; env RECLAIM_CONFIG)",
  )
  .option(
    "--data-dir <dir>",
    "embedded database folder when DATABASE_URL is unset (env RECLAIM_DATA_DIR, default ./data)",
  )
  .option(
    "--reports-dir <dir>",
    "where workbooks and the outbox go (env RECLAIM_REPORTS_DIR, default ./reports)",
  )
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

program.addCommand(demoCommand());
program.addCommand(runCommand());
program.addCommand(crawlCommand());
program.addCommand(reportCommand());
program.addCommand(emailCommand());
program.addCommand(simulatorCommand());
program.addCommand(migrateCommand());
program.addCommand(configCommand());
program.addCommand(policyCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version end here with exit code 0; usage errors were already printed.
    return error.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  if (error instanceof ConfigError || error instanceof UsageError) {
    console.error(`reclaim: ${error.message}`);
    return EXIT_USAGE;
  }
  if (error instanceof DatabaseConnectionError) {
    console.error(`reclaim: ${error.message}`);
    return EXIT_FAILURE;
  }
  const message = error instanceof Error ? error.message : String(error);
  console.error(`reclaim: ${message}`);
  if (process.env.RECLAIM_DEBUG && error instanceof Error) console.error(error.stack);
  return EXIT_FAILURE;
}
