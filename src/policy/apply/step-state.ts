/**
 * The state one write changes, read live: before a write (for the audit), after it (until the
 * API's reads show it — they may lag the write), and on resume after a crash, to tell a write
 * that was made from one that was not, so it is never sent twice.
 */
import type { StepOp } from "../../db/tables/policy.ts";
import { calls } from "../api-calls.ts";
import type { PlannedCall } from "../model.ts";
import type { PolicyApi, StepTarget } from "./policy-api.ts";
import { sameResource } from "./decide.ts";

export interface ObservedState {
  /** The write's target state holds. */
  reached: boolean;
  state: Record<string, unknown>;
}

/** Reads the state the write `op` changes. */
export async function readStepState(
  api: PolicyApi,
  op: StepOp,
  t: StepTarget,
  signal?: AbortSignal,
): Promise<ObservedState> {
  switch (op) {
    case "remove-membership":
    case "add-membership": {
      const groups = await api.groupsOf(t.accountId, undefined, signal);
      const member = groups.some((g) => g.groupId === t.groupId);
      return { reached: op === "remove-membership" ? !member : member, state: { member } };
    }
    case "revoke-role":
    case "assign-role": {
      const roles = await api.roleAssignments(t.accountId, signal);
      const entry = roles.find((r) => sameResource(r.resourceId, t.resourceId ?? ""));
      const held = entry?.roles.find((r) => r.role === t.role);
      const direct = held?.methods.includes("direct") ?? false;
      return {
        reached: op === "revoke-role" ? !direct : direct,
        state: { directRole: direct, methods: held?.methods ?? [] },
      };
    }
    case "suspend":
    case "restore":
    case "disable":
    case "enable": {
      const u = await api.userIn(t.directoryId ?? "", t.accountId, signal);
      const membershipStatus = u?.membershipStatus ?? null;
      const accountStatus = u?.accountStatus ?? null;
      const reached =
        op === "suspend"
          ? membershipStatus === "suspended"
          : op === "restore"
            ? membershipStatus === "active"
            : op === "disable"
              ? accountStatus === "inactive"
              : accountStatus === "active";
      return { reached, state: { membershipStatus, accountStatus } };
    }
  }
}

/** The call a step makes, as the audit and the plan describe it. */
export function callOf(orgId: string, op: StepOp, t: StepTarget): PlannedCall {
  const dir = t.directoryId ?? "";
  switch (op) {
    case "remove-membership":
      return calls.removeMembership(orgId, dir, t.groupId ?? "", t.accountId);
    case "add-membership":
      return calls.addMembership(orgId, dir, t.groupId ?? "", t.accountId);
    case "revoke-role":
      return calls.revokeRole(orgId, t.accountId, t.role ?? "", t.resourceId ?? "");
    case "assign-role":
      return calls.assignRole(orgId, t.accountId, t.role ?? "", t.resourceId ?? "");
    case "suspend":
      return calls.suspend(orgId, dir, t.accountId);
    case "restore":
      return calls.restore(orgId, dir, t.accountId);
    case "disable":
      return calls.disable(t.accountId, t.message ?? "");
    case "enable":
      return calls.enable(t.accountId);
  }
}

/** The write that undoes `op`. */
export function inverseOf(op: StepOp): StepOp {
  const inverse: Record<StepOp, StepOp> = {
    "remove-membership": "add-membership",
    "add-membership": "remove-membership",
    "revoke-role": "assign-role",
    "assign-role": "revoke-role",
    suspend: "restore",
    restore: "suspend",
    disable: "enable",
    enable: "disable",
  };
  return inverse[op];
}
