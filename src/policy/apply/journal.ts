/**
 * Runs an action's journalled writes (apply or undo), each claimed in the database before it
 * is sent and audited before and after. A step left `started` by a process that died is
 * resolved by reading the state first: a write that was made is confirmed, not repeated.
 */
import type { Kysely } from "kysely";
import { z } from "zod";
import {
  beginStep,
  finishStep,
  stepsOf,
  type AuditEntry,
} from "../../db/repositories/policy-apply.repository.ts";
import type { Database } from "../../db/schema.ts";
import type { PolicyActionRow, StepPhase } from "../../db/tables/policy.ts";
import type { Clock } from "../../shared/clock.ts";
import { errorMessage } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import { WriteFailure, type Exchange, type PolicyApi, type StepTarget } from "./policy-api.ts";
import { callOf, readStepState, type ObservedState } from "./step-state.ts";

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

/** How long to wait for the API's reads to show a write (they may lag it). */
export interface Settle {
  attempts: number;
  /** First wait; doubles each attempt. */
  delayMs: number;
}

export const DEFAULT_SETTLE: Settle = { attempts: 4, delayMs: 1000 };

/** What the engine needs, for apply and undo alike. */
export interface EngineContext {
  db: Kysely<Database>;
  api: PolicyApi;
  clock: Clock;
  log: Logger;
  sleep: Sleep;
  settle: Settle;
  actor: string;
  signal?: AbortSignal | undefined;
  /** Retry steps that failed in an earlier run. */
  retryFailed: boolean;
}

/** The engine's context for one run of apply or undo, from its dependencies and options. */
export function engineContext(
  deps: Pick<EngineContext, "db" | "api" | "clock" | "log"> & { sleep?: Sleep | undefined },
  options: { actor: string; settle?: Settle | undefined; signal?: AbortSignal | undefined },
  retryFailed: boolean,
): EngineContext {
  return {
    db: deps.db,
    api: deps.api,
    clock: deps.clock,
    log: deps.log,
    sleep: deps.sleep ?? realSleep,
    settle: options.settle ?? DEFAULT_SETTLE,
    actor: options.actor,
    signal: options.signal,
    retryFailed,
  };
}

const targetSchema = z.object({
  accountId: z.string(),
  groupId: z.string().optional(),
  groupName: z.string().optional(),
  directoryId: z.string().optional(),
  role: z.string().optional(),
  resourceId: z.string().optional(),
  message: z.string().optional(),
});

export function parseTarget(v: unknown): StepTarget {
  const t = targetSchema.parse(v);
  const out: StepTarget = { accountId: t.accountId };
  for (const key of [
    "groupId",
    "groupName",
    "directoryId",
    "role",
    "resourceId",
    "message",
  ] as const) {
    const x = t[key];
    if (x !== undefined) out[key] = x;
  }
  return out;
}

/** Reads until `read` says the state is reached, waiting longer each time; the last read. */
export async function settled(
  ctx: Pick<EngineContext, "sleep" | "settle" | "signal">,
  read: () => Promise<ObservedState>,
): Promise<ObservedState> {
  let last: ObservedState = { reached: false, state: {} };
  for (let i = 0; i < Math.max(1, ctx.settle.attempts); i++) {
    try {
      last = await read();
    } catch (e) {
      if (ctx.signal?.aborted) throw e;
      last = { reached: false, state: { readError: errorMessage(e) } };
    }
    if (last.reached || i === ctx.settle.attempts - 1) return last;
    await ctx.sleep(ctx.settle.delayMs * 2 ** i, ctx.signal);
  }
  return last;
}

export type StepsResult =
  | { ok: true; writes: number }
  | { ok: false; writes: number; error: string; licenseLimit: boolean };

function lastExchange(xs: readonly Exchange[]): Exchange | undefined {
  return xs[xs.length - 1];
}

/** The API's answer in one line, for an action's outcome. */
export function describeFailure(f: WriteFailure): string {
  const x = lastExchange(f.exchanges);
  const status = x?.status ? `HTTP ${x.status}` : "no response";
  return `${f.licenseLimit ? "licence limit: " : ""}${status}: ${f.message}`;
}

/**
 * Runs the action's steps of `phase` in order until one fails.
 * @param known states read just before (by the decision), keyed by step key, saving a read
 */
export async function runSteps(
  ctx: EngineContext,
  action: PolicyActionRow,
  phase: StepPhase,
  known: ReadonlyMap<string, ObservedState> = new Map(),
): Promise<StepsResult> {
  const { db, api, clock } = ctx;
  let writes = 0;
  for (const step of await stepsOf(db, action.action_id, phase)) {
    if (step.state === "done" || step.state === "already") continue;
    if (step.state === "failed" && !ctx.retryFailed)
      return { ok: false, writes, error: step.error ?? "failed", licenseLimit: false };
    const target = parseTarget(step.target);
    const call = callOf(api.orgId, step.op, target);
    const audit = (at: Date): Omit<AuditEntry, "state"> => ({
      at,
      orgId: action.org_id,
      planId: Number(action.plan_id),
      actionId: Number(action.action_id),
      stepId: Number(step.step_id),
      phase,
      actor: ctx.actor,
      rule: action.rule,
      accountId: action.account_id,
      op: step.op,
      request: { method: call.method, path: call.path, ...(call.body ? { body: call.body } : {}) },
    });
    let before = known.get(step.step_key);
    if (step.state === "started") {
      // Sent (or about to be) by a run that stopped before recording the answer.
      before = await readStepState(api, step.op, target, ctx.signal);
      if (before.reached) {
        await finishStep(db, Number(step.step_id), "done", {
          ...audit(clock.now()),
          state: before.state,
          outcome: "confirmed",
          responseBody: {
            note: "made before the apply stopped; confirmed by a read, not repeated",
          },
        });
        continue;
      }
    }
    before ??= await readStepState(api, step.op, target, ctx.signal);
    if (
      !(await beginStep(db, Number(step.step_id), step.state, {
        ...audit(clock.now()),
        state: before.state,
      }))
    )
      return { ok: false, writes, error: "another applier holds this write", licenseLimit: false };
    if (before.reached) {
      await finishStep(db, Number(step.step_id), "already", {
        ...audit(clock.now()),
        state: before.state,
        outcome: "already",
        responseBody: { note: "already in that state: no request sent" },
      });
      continue;
    }
    let outcome: "done" | "already";
    let exchanges: Exchange[];
    try {
      ({ outcome, exchanges } = await api.write(step.op, target, ctx.signal));
      writes++;
    } catch (e) {
      if (!(e instanceof WriteFailure)) throw e;
      writes++;
      const x = lastExchange(e.exchanges);
      const error = describeFailure(e);
      await finishStep(db, Number(step.step_id), "failed", {
        ...audit(clock.now()),
        responseStatus: x?.status ?? null,
        responseBody: e.exchanges.length > 1 ? { exchanges: e.exchanges } : (x?.response ?? null),
        state: before.state,
        outcome: "failed",
        error,
      });
      return { ok: false, writes, error, licenseLimit: e.licenseLimit };
    }
    const after = await settled(ctx, () => readStepState(api, step.op, target, ctx.signal));
    const x = lastExchange(exchanges);
    await finishStep(db, Number(step.step_id), outcome, {
      ...audit(clock.now()),
      responseStatus: x?.status ?? null,
      responseBody: exchanges.length > 1 ? { exchanges } : (x?.response ?? null),
      state: after.state,
      outcome: after.reached ? outcome : `${outcome} (not yet visible in reads)`,
    });
  }
  return { ok: true, writes };
}
