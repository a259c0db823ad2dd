/**
 * Table types owned by the email feature (see migrations/2026-11-28T02-email-deliveries.ts and
 * 2026-12-01T10-email-delivery-claims.ts).
 */
import type { Generated, Selectable } from "kysely";
import type { Timestamp, TimestampWithDefault } from "../schema.ts";

export type DeliveryStatus = "sending" | "sent" | "failed";

export interface EmailDeliveriesTable {
  delivery_id: Generated<number>;
  org_id: string;
  period: string;
  audience: string;
  recipient: string;
  report_id: number | null;
  status: DeliveryStatus;
  attempts: Generated<number>;
  sends: Generated<number>;
  transport: string | null;
  message_id: string | null;
  location: string | null;
  last_error: string | null;
  claimed_at: Timestamp;
  /** The sender holding (or last holding) the claim: host, pid namespace, pid, claim token. */
  claim_host: string | null;
  claim_pid_ns: string | null;
  claim_pid: number | null;
  claim_token: string | null;
  /** Renewed while sending; a `sending` row whose heartbeat is older than the lease is dead. */
  heartbeat_at: Timestamp | null;
  sent_at: Timestamp | null;
  updated_at: TimestampWithDefault;
}

export type EmailDelivery = Selectable<EmailDeliveriesTable>;

export interface EmailTables {
  email_deliveries: EmailDeliveriesTable;
}
