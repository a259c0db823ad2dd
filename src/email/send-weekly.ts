/**
 * The weekly email use-case: for each org's newest report, one message per audience and
 * recipient, each claimed in the delivery ledger first so it is sent at most once per
 * reporting period (unless forced). Reads stored data only.
 */
import path from "node:path";
import type { Runtime } from "../app/runtime.ts";
import {
  claimDelivery,
  latestReports,
  markFailed,
  markSent,
} from "../db/repositories/deliveries.repository.ts";
import { policyNextStep } from "../policy/next-step.ts";
import { renderDormantChart } from "../reports/chart.ts";
import type { ReportSummary } from "../reports/summary.ts";
import { planWorkbookAttachment } from "./attachment-plan.ts";
import { createMailTransport, type MailTransport } from "./transport.ts";
import { buildWeeklyMessage, type Audience } from "./weekly-message.ts";

export interface SendWeeklyOptions {
  dryRun?: boolean;
  force?: boolean;
  orgId?: string;
  /** Defaults to SMTP_URL, or the outbox folder. */
  transport?: MailTransport;
  /** A `sending` claim older than this belongs to a dead sender and is taken over. */
  staleClaimMs?: number;
}

export interface DeliveryOutcome {
  orgId: string;
  period: string;
  audience: Audience;
  recipient: string;
  status: "sent" | "written" | "skipped" | "failed" | "dry-run";
  /** The .eml file (outbox), when written. */
  path?: string;
  messageId?: string;
  error?: string;
  /** Why a delivery was skipped, or what a dry run would send. */
  detail?: string;
}

/** Raised before any work when the email cannot be addressed; exit code 2 at the CLI. */
export class EmailSetupError extends Error {
  override name = "EmailSetupError";
}

const DEFAULT_FROM = "Reclaim <reclaim@localhost>";

export function audiencesOf(runtime: Runtime): { audience: Audience; recipients: string[] }[] {
  const { email } = runtime.config;
  const out: { audience: Audience; recipients: string[] }[] = [];
  if (email.to.length > 0) out.push({ audience: "admins", recipients: email.to });
  if (email.financeTo.length > 0) out.push({ audience: "finance", recipients: email.financeTo });
  return out;
}

/** Fails early, before any crawl work, when there is nobody to send to. */
export function checkEmailSetup(runtime: Runtime): void {
  if (audiencesOf(runtime).length === 0) {
    throw new EmailSetupError(
      "no email recipients: set REPORT_TO (comma-separated) or email.to / email.financeTo in the config file",
    );
  }
}

export async function sendWeeklyEmail(
  runtime: Runtime,
  options: SendWeeklyOptions = {},
): Promise<DeliveryOutcome[]> {
  checkEmailSetup(runtime);
  const { db } = runtime.database;
  const reports = await latestReports(db, options.orgId);
  if (reports.length === 0) {
    throw new EmailSetupError(
      `no report to send${options.orgId ? ` for org ${options.orgId}` : ""}: run \`reclaim report\` first`,
    );
  }
  const transport =
    options.transport ??
    createMailTransport(runtime.config.smtpUrl, path.join(runtime.config.reportsDir, "outbox"));
  const from = runtime.config.email.from ?? DEFAULT_FROM;
  const maxBytes = runtime.config.email.maxAttachmentMb * 1024 * 1024;
  const outcomes: DeliveryOutcome[] = [];
  try {
    for (const report of reports) {
      const summary = report.summary as unknown as ReportSummary;
      const chartPng = renderDormantChart(summary);
      // policy: the org's open plan, if any, and how to approve it
      const policyNext = (await policyNextStep(db, report.org_id))?.text;
      for (const { audience, recipients } of audiencesOf(runtime)) {
        const workbookPath =
          audience === "finance" && report.finance_workbook_path
            ? report.finance_workbook_path
            : report.workbook_path;
        const workbook = await planWorkbookAttachment(workbookPath, maxBytes);
        for (const recipient of recipients) {
          const base = { orgId: report.org_id, period: report.period, audience, recipient };
          const message = buildWeeklyMessage({
            summary,
            audience,
            period: report.period,
            from,
            to: recipient,
            chartPng,
            workbook,
            policyNext,
          });
          if (options.dryRun) {
            outcomes.push({
              ...base,
              status: "dry-run",
              detail: `would send "${message.subject}" via ${transport.description} with ${workbook.path || workbook.content ? workbook.filename : "no attachment (too large)"}`,
            });
            continue;
          }
          const claim = await claimDelivery(db, base, {
            reportId: report.report_id,
            at: runtime.clock.now(),
            force: options.force ?? false,
            staleAfterMs: options.staleClaimMs ?? 15 * 60_000,
          });
          if (!claim.claimed) {
            outcomes.push({
              ...base,
              status: "skipped",
              detail:
                claim.delivery.status === "sent"
                  ? `already sent for ${report.period} (use --force to resend)`
                  : "another process is sending it now",
              ...(claim.delivery.location ? { path: claim.delivery.location } : {}),
            });
            continue;
          }
          const fileStem = `${report.period}-${report.org_id}-${audience}-${recipient}`;
          const result = await transport.send(message, fileStem);
          const at = runtime.clock.now();
          if (result.ok) {
            await markSent(db, claim.delivery.delivery_id, {
              at,
              attempts: result.attempts,
              transport: transport.kind,
              messageId: result.messageId,
              location: result.location,
            });
            outcomes.push({
              ...base,
              status: transport.kind === "outbox" ? "written" : "sent",
              ...(result.location ? { path: result.location } : {}),
              ...(result.messageId ? { messageId: result.messageId } : {}),
            });
          } else {
            const error = result.error ?? "unknown error";
            await markFailed(db, claim.delivery.delivery_id, {
              at,
              attempts: result.attempts,
              transport: transport.kind,
              error,
            });
            runtime.log.error(`email to ${recipient} failed: ${error}`, { period: report.period });
            outcomes.push({ ...base, status: "failed", error });
          }
        }
      }
    }
  } finally {
    if (!options.transport) transport.close();
  }
  return outcomes;
}
