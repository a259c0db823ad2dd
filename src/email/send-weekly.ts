/**
 * The weekly email use-case: for each org's newest report, one message per audience and
 * recipient, each claimed in the delivery ledger first so it is sent at most once per
 * reporting period (unless forced). A failed send is recorded as failed (the next run retries
 * it), never left `sending`; a claim whose sender died is taken over at once. Reads stored
 * data only.
 */
import path from "node:path";
import type { Kysely } from "kysely";
import type { EmailConfig } from "../config/sections/email.ts";
import {
  claimDelivery,
  latestReports,
  markFailed,
  markSent,
  renewClaim,
} from "../db/repositories/deliveries.repository.ts";
import type { Database } from "../db/schema.ts";
import { policyNextStep } from "../policy/next-step.ts";
import { renderDormantChart } from "../reports/chart.ts";
import type { ReportSummary } from "../reports/summary.ts";
import type { Clock } from "../shared/clock.ts";
import { errorMessage } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import { addressOf } from "./address.ts";
import { planWorkbookAttachment } from "./attachment-plan.ts";
import { currentOwner, DEFAULT_LEASE_MS, describeHolder, mayTakeOver } from "./delivery-claim.ts";
import { createMailTransport, type MailTransport } from "./transport.ts";
import { buildWeeklyMessage, type Audience } from "./weekly-message.ts";

/** What the weekly email needs, and nothing more. */
export interface SendWeeklyDeps {
  db: Kysely<Database>;
  email: EmailConfig;
  /** SMTP_URL; without it the messages are written to `<reportsDir>/outbox`. */
  smtpUrl: string | undefined;
  reportsDir: string;
  clock: Clock;
  log: Logger;
  /** IANA zone the chart labels crawl times in (config `report.timezone`). Default UTC. */
  timeZone?: string;
}

export interface SendWeeklyOptions {
  dryRun?: boolean;
  force?: boolean;
  orgId?: string;
  /** Defaults to SMTP_URL, or the outbox folder. */
  transport?: MailTransport;
  /**
   * A `sending` claim whose heartbeat is older than this is taken over (its sender is gone).
   * A sender on this host is known dead sooner: as soon as its pid is not running.
   */
  leaseMs?: number;
  /**
   * Stops before the next recipient once aborted (never in the middle of a message) and
   * returns the outcomes so far; the rest are sent by the next run.
   */
  signal?: AbortSignal;
}

export interface DeliveryOutcome {
  orgId: string;
  period: string;
  audience: Audience;
  recipient: string;
  /** busy: another live process is sending it right now; this run did not. */
  status: "sent" | "written" | "skipped" | "busy" | "failed" | "dry-run";
  /** The .eml file (outbox), when written. */
  path?: string;
  messageId?: string;
  error?: string;
  /** Why a delivery was skipped or busy, or what a dry run would send. */
  detail?: string;
}

/** Whether this outcome means the run did not deliver what it was asked to (exit code 1). */
export function deliveryFailed(o: DeliveryOutcome): boolean {
  return o.status === "failed" || o.status === "busy";
}

/** Raised before any work when the email cannot be addressed; exit code 2 at the CLI. */
export class EmailSetupError extends Error {
  override name = "EmailSetupError";
}

/** No report to send yet: failed work (exit code 1), as `reclaim report` without a crawl. */
export class NothingToSendError extends Error {
  override name = "NothingToSendError";
}

const DEFAULT_FROM = "Reclaim <reclaim@localhost>";

/** The audiences that have recipients, in sending order. */
export function audiencesOf(email: EmailConfig): { audience: Audience; recipients: string[] }[] {
  const out: { audience: Audience; recipients: string[] }[] = [];
  if (email.to.length > 0) out.push({ audience: "admins", recipients: email.to });
  if (email.financeTo.length > 0) out.push({ audience: "finance", recipients: email.financeTo });
  return out;
}

/** Fails early, before any database work, when there is nobody to send to. */
export function checkEmailSetup(email: EmailConfig): void {
  if (audiencesOf(email).length === 0) {
    throw new EmailSetupError(
      "no email recipients: set REPORT_TO (comma-separated) or email.to / email.financeTo in the config file",
    );
  }
}

/**
 * Sends (or writes to the outbox) each org's newest report to every recipient once.
 * @returns one outcome per recipient reached before any abort
 * @throws EmailSetupError without recipients; NothingToSendError without a report; a
 *   StorageError when the outbox cannot be written (that delivery is recorded as failed)
 */
export async function sendWeeklyEmail(
  deps: SendWeeklyDeps,
  options: SendWeeklyOptions = {},
): Promise<DeliveryOutcome[]> {
  checkEmailSetup(deps.email);
  const { db, email, clock } = deps;
  const reports = await latestReports(db, options.orgId);
  if (reports.length === 0) {
    throw new NothingToSendError(
      `no report to send${options.orgId ? ` for org ${options.orgId}` : ""}: run \`reclaim report\` first`,
    );
  }
  const transport =
    options.transport ??
    createMailTransport({
      smtpUrl: deps.smtpUrl,
      smtp: email.smtp,
      outboxDir: path.join(deps.reportsDir, "outbox"),
    });
  const from = email.from ?? DEFAULT_FROM;
  const maxBytes = email.maxAttachmentMb * 1024 * 1024;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const outcomes: DeliveryOutcome[] = [];
  try {
    for (const report of reports) {
      const summary = report.summary as unknown as ReportSummary;
      const chartPng = renderDormantChart(
        summary,
        deps.timeZone ? { timeZone: deps.timeZone } : {},
      );
      // policy: the org's open plan, if any, and how to approve it
      const policyNext = (await policyNextStep(db, report.org_id))?.text;
      for (const { audience, recipients } of audiencesOf(email)) {
        const workbookPath =
          audience === "finance" && report.finance_workbook_path
            ? report.finance_workbook_path
            : report.workbook_path;
        const workbook = await planWorkbookAttachment(workbookPath, maxBytes);
        for (const recipient of recipients) {
          if (options.signal?.aborted) return outcomes;
          const address = addressOf(recipient);
          const base = {
            orgId: report.org_id,
            period: report.period,
            audience,
            recipient: address,
          };
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
          const owner = currentOwner();
          const at = clock.now();
          const force = options.force ?? false;
          const claim = await claimDelivery(db, base, {
            reportId: report.report_id,
            at,
            owner,
            mayTakeOver: (row) => mayTakeOver(row, { me: owner, at, leaseMs, force }),
          });
          if (!claim.claimed) {
            const sent = claim.delivery.status === "sent";
            outcomes.push({
              ...base,
              status: sent ? "skipped" : "busy",
              detail: sent
                ? `already sent for ${report.period} (use --force to resend)`
                : `being sent now by ${describeHolder(claim.delivery)}; not sent by this run (run it again once that one has finished)`,
              ...(sent && claim.delivery.location ? { path: claim.delivery.location } : {}),
            });
            continue;
          }
          if (claim.previous?.status === "sending") {
            deps.log.warn(
              `taking over the email to ${address} (${report.org_id}, ${report.period}): its sender, ${describeHolder(claim.previous)}, is gone`,
            );
          }
          const id = claim.delivery.delivery_id;
          const heartbeat = setInterval(() => {
            renewClaim(db, id, owner.token, clock.now()).catch(() => undefined);
          }, leaseMs / 4);
          heartbeat.unref();
          const fileStem = `${report.period}-${report.org_id}-${audience}-${address}`;
          let result;
          try {
            result = await transport.send(message, fileStem);
          } catch (error) {
            // Recorded as a failure so the next run retries it at once. If even that write
            // fails, the row stays `sending` until this process is gone, then is taken over.
            await markFailed(db, id, {
              at: clock.now(),
              attempts: 1,
              transport: transport.kind,
              error: errorMessage(error),
              token: owner.token,
            }).catch(() => undefined);
            throw error;
          } finally {
            clearInterval(heartbeat);
          }
          if (result.ok) {
            await markSent(db, id, {
              at: clock.now(),
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
            await markFailed(db, id, {
              at: clock.now(),
              attempts: result.attempts,
              transport: transport.kind,
              error,
              token: owner.token,
            });
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
