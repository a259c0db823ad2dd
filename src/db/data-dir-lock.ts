/**
 * One process at a time per embedded database folder. PGlite has no locking of its own: two
 * processes on one folder write over each other's pages (seen: duplicate primary keys that
 * REINDEX cannot repair). The lock is a file in the folder holding the holder's pid, host and
 * start time, created with O_EXCL so exactly one process wins. A lock whose holder is gone
 * (same host, pid not running, or a host that has rebooted since) is taken over; taking over
 * is itself serialised by a short-lived second file, so two processes that both find the same
 * stale lock cannot both take it.
 */
import { randomUUID } from "node:crypto";
import { open, readFile, rm, stat, unlink } from "node:fs/promises";
import { hostname, uptime } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";

export const LOCK_FILE = "reclaim.lock";

/** What the lock file says about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  /** When the holder took the lock (ISO). */
  since: string;
  /** When the holder's machine booted (ISO): a pid from before a reboot is dead. */
  bootedAt: string;
  /** What the holder runs, e.g. `reclaim schedule`. */
  command: string;
  /** Tells this holder's lock from a later one with a recycled pid. */
  token: string;
}

/** The folder is held by another live process. */
export class DataDirInUseError extends Error {
  override name = "DataDirInUseError";
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.host === hostname() ? "" : ` on host ${holder.host}`;
    super(
      `data dir ${dataDir} is in use by pid ${holder.pid}${where} since ${holder.since} (${holder.command}); ` +
        `stop it, or set DATABASE_URL to use a Postgres server that several processes can share` +
        (where ? ` (if that process is surely gone, delete ${path.join(dataDir, LOCK_FILE)})` : ""),
    );
  }
}

export interface DataDirLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** Shown to a process that is refused. Default: this process's argv, shortened. */
  command?: string;
  /** Is this pid running on this host? (tests) */
  isAlive?: (pid: number) => boolean;
  now?: () => Date;
}

/** Folders this process holds, so a second open in the same process is refused too. */
const heldHere = new Set<string>();

/** A takeover file (or an empty lock file) older than this was left by a process that died. */
const HALF_WRITTEN_STALE_MS = 10_000;
/** Two readings of the boot time differ by clock drift; a reboot moves it by far more. */
const BOOT_TOLERANCE_MS = 120_000;

/**
 * Takes the lock on `dataDir` (which must exist).
 * @returns the held lock; release it after closing the database.
 * @throws DataDirInUseError naming the live holder; a file-system error if the folder is unusable.
 */
export async function lockDataDir(
  dataDir: string,
  options: LockOptions = {},
): Promise<DataDirLock> {
  const dir = path.resolve(dataDir);
  const isAlive = options.isAlive ?? pidIsRunning;
  const now = options.now ?? (() => new Date());
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: now().toISOString(),
    bootedAt: bootTime(new Date()),
    command: options.command ?? describeCommand(),
    token: randomUUID(),
  };
  if (heldHere.has(dir)) throw new DataDirInUseError(dataDir, { ...me, since: "earlier" });
  // Claimed in this process before the first await, so a concurrent open here is refused.
  heldHere.add(dir);
  try {
    return await acquire(dataDir, dir, me, isAlive);
  } catch (error) {
    heldHere.delete(dir);
    throw error;
  }
}

async function acquire(
  dataDir: string,
  dir: string,
  me: LockHolder,
  isAlive: (pid: number) => boolean,
): Promise<DataDirLock> {
  const file = path.join(dir, LOCK_FILE);
  // Usually one or two rounds: create, or find a stale holder, take it over and create again.
  for (let round = 0; round < 10; round++) {
    if (await createExclusive(file, me)) return heldLock(dir, file, me);
    const holder = await readHolder(file);
    if (holder === "missing") continue;
    if (holder === "unreadable" && (await ageMs(file)) < HALF_WRITTEN_STALE_MS) {
      // Another process created the file a moment ago and is writing its name into it.
      throw new Error(
        `data dir ${dataDir} is being opened by another process right now (${file}); stop it, or set DATABASE_URL to use a Postgres server`,
      );
    }
    if (holder !== "unreadable" && isLive(holder, me, isAlive)) {
      throw new DataDirInUseError(dataDir, holder);
    }
    // Another process is taking the same stale lock over: it takes milliseconds.
    if ((await takeOver(file, holder, isAlive, me)) === "busy") await delay(50);
  }
  const holder = await readHolder(file);
  if (typeof holder === "object") throw new DataDirInUseError(dataDir, holder);
  throw new Error(
    `could not take the lock ${file}: it keeps changing; is another process starting?`,
  );
}

function heldLock(dir: string, file: string, me: LockHolder): DataDirLock {
  let released = false;
  return {
    file,
    holder: me,
    release: async () => {
      if (released) return;
      released = true;
      heldHere.delete(dir);
      const holder = await readHolder(file);
      if (typeof holder === "object" && holder.token === me.token) await unlink(file).catch(ignore);
    },
  };
}

/** Writes the lock file only if none exists. @returns false when another file is there. */
async function createExclusive(file: string, me: LockHolder): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    await handle.writeFile(`${JSON.stringify(me)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

async function readHolder(file: string): Promise<LockHolder | "missing" | "unreadable"> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === "number" && typeof parsed.host === "string") {
      return {
        pid: parsed.pid,
        host: parsed.host,
        since: parsed.since ?? "an unknown time",
        bootedAt: parsed.bootedAt ?? "",
        command: parsed.command ?? "unknown command",
        token: parsed.token ?? "",
      };
    }
  } catch {
    // A holder that died between creating the file and writing it leaves it empty or partial.
  }
  return "unreadable";
}

function isLive(holder: LockHolder, me: LockHolder, isAlive: (pid: number) => boolean): boolean {
  // Another host's processes cannot be seen from here: its lock counts as live.
  if (holder.host !== me.host) return true;
  const booted = Date.parse(holder.bootedAt);
  if (Number.isFinite(booted) && Math.abs(booted - Date.parse(me.bootedAt)) > BOOT_TOLERANCE_MS)
    return false;
  // Our own pid, and this process is the one asking (see heldHere): left by an earlier
  // process that had our pid.
  if (holder.pid === me.pid) return false;
  return isAlive(holder.pid);
}

/**
 * Removes a stale lock, under a takeover file so that only one process does it; the caller
 * then tries to create its own lock again (and may still lose to a fresh starter, safely).
 */
async function takeOver(
  file: string,
  stale: LockHolder | "unreadable",
  isAlive: (pid: number) => boolean,
  me: LockHolder,
): Promise<"done" | "busy"> {
  const guard = `${file}.takeover`;
  if (!(await createExclusive(guard, me))) {
    if ((await ageMs(guard)) > HALF_WRITTEN_STALE_MS) await unlink(guard).catch(ignore);
    return "busy";
  }
  try {
    // Re-read under the guard: another process may have replaced the stale lock meanwhile.
    const current = await readHolder(file);
    const stillStale =
      current === "unreadable"
        ? stale === "unreadable"
        : typeof current === "object" &&
          typeof stale === "object" &&
          current.token === stale.token &&
          !isLive(current, me, isAlive);
    if (stillStale) await rm(file, { force: true });
  } finally {
    await unlink(guard).catch(ignore);
  }
  return "done";
}

/** Signal 0 checks that the pid exists; EPERM means it exists but belongs to another user. */
function pidIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function ageMs(file: string): Promise<number> {
  return stat(file).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0,
  );
}

function bootTime(now: Date): string {
  return new Date(now.getTime() - uptime() * 1000).toISOString();
}

const COMMANDS = new Set(["crawl", "report", "email", "run", "demo", "migrate", "schedule"]);

/** The command only: other arguments could be secrets, and the lock file is readable. */
function describeCommand(): string {
  const command = process.argv.slice(2).find((a) => COMMANDS.has(a));
  return command ? `reclaim ${command}` : "another Reclaim process";
}

function ignore(): void {
  // Already gone: nothing to clean up.
}
