import { setMaxListeners } from "node:events";

/**
 * A signal that aborts when any of the given ones does (or a fresh one when none is given),
 * made to be shared by many concurrent requests. Each request listens to it while it waits
 * or runs and removes its listener when it settles; with 16 or more at once Node would
 * otherwise print a "possible EventTarget memory leak" warning that is not one.
 */
export function sharedSignal(...signals: (AbortSignal | undefined)[]): AbortSignal {
  const given = signals.filter((s): s is AbortSignal => s !== undefined);
  const signal = given.length === 1 ? given[0]! : AbortSignal.any(given);
  setMaxListeners(0, signal);
  return signal;
}
