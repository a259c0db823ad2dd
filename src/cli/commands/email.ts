import { Command } from "commander";
import { withRuntime } from "../../app/runtime.ts";
import { EmailSetupError, sendWeeklyEmail, type DeliveryOutcome } from "../../email/send-weekly.ts";
import { configFor, EXIT_FAILURE, UsageError } from "../context.ts";

export function emailCommand(): Command {
  return new Command("email")
    .description("send the weekly report email (or write it to reports/outbox/ without SMTP_URL)")
    .option("--dry-run", "show what would be sent and to whom; send and record nothing")
    .option("--force", "send again even if this week's report already went to a recipient")
    .option("--org <id>", "only this org's report")
    .addHelpText(
      "after",
      `
Recipients come from REPORT_TO (admins) and the config file (email.to, email.financeTo).
Each recipient gets each week's report once: reruns and retries are suppressed by a
delivery ledger in the database. Transient SMTP failures are retried; a permanent refusal
is recorded with the server's reply and the command exits non-zero.`,
    )
    .action(async (opts: { dryRun?: boolean; force?: boolean; org?: string }, command: Command) => {
      const config = configFor(command);
      const outcomes = await withRuntime(config, async (runtime) => {
        try {
          return await sendWeeklyEmail(runtime, {
            dryRun: opts.dryRun ?? false,
            force: opts.force ?? false,
            ...(opts.org ? { orgId: opts.org } : {}),
          });
        } catch (error) {
          if (error instanceof EmailSetupError) throw new UsageError(error.message);
          throw error;
        }
      });
      for (const o of outcomes) console.log(describeDelivery(o));
      if (outcomes.some((o) => o.status === "failed")) process.exitCode = EXIT_FAILURE;
    });
}

export function describeDelivery(o: DeliveryOutcome): string {
  const who = `${o.audience} ${o.recipient} (${o.orgId}, ${o.period})`;
  switch (o.status) {
    case "written":
      return `email for ${who} written to ${o.path ?? "the outbox"}`;
    case "sent":
      return `email for ${who} sent (${o.messageId ?? "no message id"})`;
    case "skipped":
      return `email for ${who} skipped: ${o.detail ?? ""}${o.path ? ` (${o.path})` : ""}`;
    case "dry-run":
      return `dry run: ${who}: ${o.detail ?? ""}`;
    case "failed":
      return `email for ${who} FAILED: ${o.error ?? ""}`;
  }
}
