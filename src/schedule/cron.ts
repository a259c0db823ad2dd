/**
 * Cron arithmetic and ticking, both from node-cron, so "is this instant a slot" has one
 * definition: the one that fires. node-cron reads wall-clock time in the job's timezone; a
 * slot inside a spring-forward gap does not exist, and a repeated fall-back hour fires once.
 */
import { createTask, parse, type ScheduledTask } from "node-cron";

export interface CronSpec {
  cron: string;
  timezone: string;
}

const MINUTE_MS = 60_000;
/** The furthest back a catch-up looks for a missed slot: a little over a year. */
const MAX_LOOKBACK_MS = 400 * 86_400_000;

/**
 * Runs `fn` with a task that never starts, for node-cron's own `match` and `getNextRuns`;
 * destroyed afterwards, since node-cron registers every task it creates.
 */
function withMatcher<T>(spec: CronSpec, fn: (task: ScheduledTask) => T): T {
  const task = createTask(spec.cron, () => undefined, { timezone: spec.timezone });
  try {
    return fn(task);
  } finally {
    void task.destroy();
  }
}

/** @returns the next `count` slots after now (node-cron reads the system clock), as instants. */
export function nextSlots(spec: CronSpec, count: number): Date[] {
  return withMatcher(spec, (task) => task.getNextRuns(count));
}

/**
 * The latest slot at or before `now` and not before `notBefore`, or null when there is none.
 * Walks back minute by minute (and, for six-field expressions, through the seconds the
 * expression names), asking node-cron whether each instant matches: about 10 µs a step, so a
 * week down costs about 0.1 s per job.
 */
export function previousSlot(spec: CronSpec, now: Date, notBefore: Date): Date | null {
  return withMatcher(spec, (task) => walkBack(task, spec, now, notBefore));
}

function walkBack(task: ScheduledTask, spec: CronSpec, now: Date, notBefore: Date): Date | null {
  const seconds = [...parse(spec.cron).second].sort((a, b) => b - a);
  const floor = Math.max(notBefore.getTime(), now.getTime() - MAX_LOOKBACK_MS);
  for (
    let minute = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
    minute + 59_000 >= floor;
    minute -= MINUTE_MS
  ) {
    for (const second of seconds) {
      const at = minute + second * 1000;
      if (at > now.getTime() || at < floor) continue;
      const candidate = new Date(at);
      if (task.match(candidate)) return candidate;
    }
  }
  return null;
}

/**
 * The longest gap between two consecutive slots over the next `sample` slots: how long the
 * job may go without a run before it counts as late. DST makes a daily job 23 or 25 hours.
 */
export function expectedPeriodMs(spec: CronSpec, sample = 12): number {
  const slots = nextSlots(spec, sample);
  let longest = 0;
  for (let i = 1; i < slots.length; i++) {
    longest = Math.max(longest, slots[i]!.getTime() - slots[i - 1]!.getTime());
  }
  return longest;
}

export interface Ticker {
  start(): void;
  stop(): void;
}

/** Calls `onSlot` with each slot as node-cron fires it (the scheduled instant, not "now"). */
export type TickerFactory = (spec: CronSpec, onSlot: (slot: Date) => void) => Ticker;

export const cronTicker: TickerFactory = (spec, onSlot) => {
  const task = createTask(spec.cron, (context) => onSlot(context.date), {
    timezone: spec.timezone,
    // A tick that fires late (a busy event loop) still runs: the ledger decides, not node-cron.
    missedExecutionTolerance: 30_000,
  });
  return {
    start: () => void task.start(),
    stop: () => void task.destroy(),
  };
};
