/**
 * Writing files safely: unique temporary names (two processes writing the same file never
 * share one), atomic replace by rename, temporary files removed on failure, and disk faults
 * (full, read-only, no permission, a path through a regular file) turned into one line that
 * names the folder and the setting to change.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import path from "node:path";
import { finished } from "node:stream/promises";
import { coerceError } from "./errors.ts";

/** A disk fault, said as one line; the CLI prints the message and exits 1. */
export class StorageError extends Error {
  override name = "StorageError";
  constructor(
    message: string,
    readonly folder: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is exhausted",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "a folder is in the way of the file",
  ENOENT: "the folder does not exist (was it removed?)",
  EEXIST: "a file is in the way",
  EIO: "an I/O error from the disk",
};

/**
 * PGlite's file system (Emscripten's) throws `ErrnoError` objects with Emscripten's own errno
 * numbers instead of Node's string codes; these are the ones that mean a storage fault.
 */
const EMSCRIPTEN_ERRNO: Record<number, string> = {
  2: "EACCES",
  19: "EDQUOT",
  29: "EIO",
  51: "ENOSPC",
  54: "ENOTDIR",
  63: "EPERM",
  69: "EROFS",
};

/** The errno code of a file-system fault Reclaim reports as a storage problem, if it is one. */
export function storageCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; name?: unknown; errno?: unknown } | null;
  if (typeof e?.code === "string") return e.code in REASONS ? e.code : undefined;
  if (e?.name === "ErrnoError" && typeof e.errno === "number") return EMSCRIPTEN_ERRNO[e.errno];
  return undefined;
}

export interface StorageContext {
  /** What was being written, e.g. "the report", "the email to the outbox". */
  what: string;
  /** The folder it goes to. */
  folder: string;
  /** The setting that chooses the folder, e.g. "RECLAIM_REPORTS_DIR (or --reports-dir)". */
  setting: string;
}

/**
 * Returns a StorageError saying what failed where and what to change when `error` is a disk
 * fault; otherwise returns `error` unchanged (as an Error), so callers can `throw asStorageError(…)`.
 */
export function asStorageError(error: unknown, context: StorageContext): Error {
  if (error instanceof StorageError) return error;
  const code = storageCode(error);
  if (code === undefined) return coerceError(error);
  const folder = path.resolve(context.folder);
  return new StorageError(
    `cannot write ${context.what} in ${folder}: ${REASONS[code]} (${code}); free space or fix the folder, or set ${context.setting} to a writable folder`,
    folder,
    code,
    { cause: error },
  );
}

/** `file` plus a suffix unique to this process and call, in the same folder (so rename is atomic). */
export function tempPathFor(file: string, suffix = "tmp"): string {
  return `${file}.${process.pid}-${randomBytes(4).toString("hex")}.${suffix}`;
}

/**
 * A write stream whose failure is never an unhandled 'error' event: `failed` rejects with the
 * stream's error (and is already handled, so an unused one is harmless), `check()` throws it.
 */
export interface GuardedStream {
  stream: WriteStream;
  failed: Promise<never>;
  check: () => void;
}

/** Opens `file` for writing (it must not exist yet), with its errors captured. */
export function openGuarded(file: string): GuardedStream {
  const stream = createWriteStream(file, { flags: "wx" });
  let error: Error | undefined;
  const failed = new Promise<never>((_, reject) => {
    stream.on("error", (e) => {
      error ??= e;
      reject(e);
    });
  });
  failed.catch(() => undefined);
  return {
    stream,
    failed,
    check: () => {
      if (error) throw error;
    },
  };
}

/** Ends the stream and waits until its data is on disk; rejects with its error if it failed. */
export async function closeGuarded(guarded: GuardedStream): Promise<void> {
  guarded.check();
  guarded.stream.end();
  await finished(guarded.stream);
}

/**
 * Writes `data` to `file` atomically: to a unique temporary file in the same folder, then
 * renamed over `file`. On any failure the temporary file is removed and the raw error rethrown.
 */
export async function writeFileAtomic(file: string, data: Buffer | string): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    const out = openGuarded(tmp);
    out.stream.write(data);
    await closeGuarded(out);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
