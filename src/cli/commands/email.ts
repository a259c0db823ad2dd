import { Command } from "commander";
import { withRuntime } from "../../app/runtime.ts";
import { emailDeps } from "../../app/pipeline.ts";
import {
  checkEmailSetup,
  deliveryFailed,
  EmailSetupError,
  sendWeeklyEmail,
  type DeliveryOutcome,
} from "../../email/send-weekly.ts";
import { configFor, EXIT_FAILURE, untilInterrupted, UsageError } from "../context.ts";

export function emailCommand(): Command {
  return new Command("email")
    .description("send the weekly report email (or write it to reports/outbox/ without SMTP_URL)")
    .option("--dry-run", "show what would be sent and to whom; send and record nothing")
    .option("--force", "send again even if this week's report already went to a recipient")
    .option("--org <id>", "only this org's report")
    .addHelpText(
      "after",
      `
Recipients come from REPORT_TO (admins) and the config file (email.to, email.financeTo);
"Jane Doe <jane@example.com>" forms are accepted. Each recipient gets each week's report
once: reruns and retries are suppressed by a delivery ledger in the database. Transient
SMTP failures are retried; a permanent refusal, a timeout or a TLS problem is recorded
with the reason and retried by the next run. Exits 1 when a delivery failed, when another
running process is sending one right now (this run did not), or when there is no report
yet; exits 2 for configuration problems.`,
    )
    .action(async (opts: { dryRun?: boolean; force?: boolean; org?: string }, command: Command) => {
      const config = configFor(command);
      try {
        checkEmailSetup(config.email);
      } catch (error) {
        if (error instanceof EmailSetupError) throw new UsageError(error.message);
        throw error;
      }
      const outcomes = await withRuntime(config, (runtime) =>
        untilInterrupted((signal) =>
          sendWeeklyEmail(emailDeps(runtime), {
            dryRun: opts.dryRun ?? false,
            force: opts.force ?? false,
            signal,
            ...(opts.org ? { orgId: opts.org } : {}),
          }),
        ),
      );
      for (const o of outcomes) console.log(describeDelivery(o));
      if (outcomes.some(deliveryFailed)) process.exitCode = EXIT_FAILURE;
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
    case "busy":
      return `email for ${who} NOT SENT: ${o.detail ?? ""}`;
    case "dry-run":
      return `dry run: ${who}: ${o.detail ?? ""}`;
    case "failed":
      return `email for ${who} FAILED: ${o.error ?? ""}`;
  }
}
