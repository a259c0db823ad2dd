/**
 * When a delivery already in the ledger may be claimed: a failed attempt always (failures
 * are retried by the next run), a sent one only when forced, and a `sending` one only when
 * its sender is gone: on this host (same pid namespace) its pid is no longer running, or,
 * from anywhere, its heartbeat is older than the lease (another host, or a reused pid).
 */
import { randomUUID } from "node:crypto";
import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import type { ClaimOwner } from "../db/repositories/deliveries.repository.ts";
import type { EmailDelivery } from "../db/tables/email.ts";

/** A sender renews its heartbeat every lease/4 while sending; 2 minutes tolerates clock skew. */
export const DEFAULT_LEASE_MS = 120_000;

/** This process as a claim owner, with a new token. */
export function currentOwner(): ClaimOwner {
  return { host: hostname(), pidNs: pidNamespace(), pid: process.pid, token: randomUUID() };
}

/** Linux names the pid namespace (containers on one host have different ones); null elsewhere. */
function pidNamespace(): string | null {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return null;
  }
}

/** Whether a process with this pid exists here (EPERM: it does, but belongs to another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

export interface ClaimRule {
  me: ClaimOwner;
  at: Date;
  leaseMs: number;
  force: boolean;
  isPidAlive?: (pid: number) => boolean;
}

/** Whether `row` may be claimed by `rule.me` now. */
export function mayTakeOver(row: EmailDelivery, rule: ClaimRule): boolean {
  if (row.status === "failed") return true;
  if (row.status === "sent") return rule.force;
  return senderGone(row, rule);
}

/** Whether the sender of a `sending` row is dead (see the file comment). */
export function senderGone(row: EmailDelivery, rule: ClaimRule): boolean {
  const beat = row.heartbeat_at ?? row.claimed_at;
  if (rule.at.getTime() - beat.getTime() > rule.leaseMs) return true;
  if (row.claim_pid === null || !sameHost(row, rule.me)) return false;
  if (row.claim_pid === rule.me.pid) return false; // this process: another call is sending
  return !(rule.isPidAlive ?? pidAlive)(row.claim_pid);
}

function sameHost(row: EmailDelivery, me: ClaimOwner): boolean {
  return row.claim_host === me.host && row.claim_pid_ns === me.pidNs;
}

/** Who holds a `sending` row, for a message: "pid 123 on host h since …". */
export function describeHolder(row: EmailDelivery): string {
  const who =
    row.claim_pid === null ? "another process" : `pid ${row.claim_pid} on ${row.claim_host ?? "?"}`;
  return `${who} since ${row.claimed_at.toISOString()}`;
}
