/**
 * Embedded PGlite on a thread of its own.
 *
 * PGlite is Postgres compiled to WebAssembly: in the caller's thread every statement blocks
 * that thread for as long as it runs. A report would then read its pages and write its
 * workbook one after the other instead of side by side, and a crawl's rate-limit timers would
 * fire late while a commit runs. Here the database lives in a worker thread, and the caller
 * sends it SQL and gets rows back as messages: reading the next page overlaps writing the
 * last one, on the second core.
 *
 * The worker's code is a string evaluated by `node:worker_threads` (plain CommonJS, loading
 * the installed PGlite by its resolved path), so it runs the same from the TypeScript source
 * and from the bundle in dist/ without a file of its own to ship.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** What the database thread answers for one statement. */
export interface PGliteResult<R> {
  rows: R[];
  affectedRows?: number;
}

export interface PGliteWorkerOptions {
  /** A folder, or "memory://" for a throwaway database. */
  dataDir: string;
  /** A data directory tarball to start a new database from (pglite-template.ts), if any. */
  template?: Uint8Array | undefined;
  /** Type OIDs whose values arrive as JS numbers (parsed from their text form). */
  numberTypes?: readonly number[];
  /** Type OIDs whose values arrive as their text form, unparsed. */
  textTypes?: readonly number[];
  /** Statements run once, before any other (session settings). */
  setup?: readonly string[];
  /** Server settings fixed at start (postgres -c name=value), such as shared_buffers. */
  serverSettings?: Readonly<Record<string, string>>;
}

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
// What the process preloads (--import), the database thread preloads too: Node runs those
// modules in the main thread only, and instrumentation or test hooks patch modules there.
const ready = (async () => {
  for (const preload of workerData.preloads) await import(preload);
  return require(workerData.pglite).PGlite;
})();
let db;

// Emscripten's file-system errors (ErrnoError) are not Error instances: their name and errno
// are what shared/storage.ts reads, so those are kept whatever the thrown value is.
function serialise(error) {
  if (error === null || typeof error !== "object") return { message: String(error) };
  const out = {};
  for (const key of ["name", "message", "stack", "errno", "code"]) {
    const value = error[key];
    if (["string", "number"].includes(typeof value)) out[key] = value;
  }
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ["string", "number", "boolean"].includes(typeof value)) out[key] = value;
  }
  const cause = error.cause;
  if (cause && typeof cause === "object" && typeof cause.code === "string") out.cause = { code: cause.code };
  return out;
}

parentPort.on("message", async (message) => {
  const { id, kind } = message;
  try {
    const PGlite = await ready;
    if (kind === "open") {
      const parsers = {};
      for (const oid of message.numberTypes) parsers[oid] = (value) => Number(value);
      for (const oid of message.textTypes) parsers[oid] = (value) => value;
      const settings = Object.entries(message.serverSettings).flatMap(([k, v]) => ["-c", k + "=" + v]);
      db = await PGlite.create(message.dataDir, {
        ...(settings.length > 0 ? { startParams: [...PGlite.defaultStartParams, ...settings] } : {}),
        ...(message.template ? { loadDataDir: new Blob([message.template]) } : {}),
        parsers,
      });
      for (const statement of message.setup) await db.exec(statement);
      parentPort.postMessage({ id });
    } else if (kind === "query") {
      const result = await db.query(message.sql, message.params);
      parentPort.postMessage({ id, rows: result.rows, affectedRows: result.affectedRows });
    } else if (kind === "close") {
      if (db && !db.closed) await db.close();
      parentPort.postMessage({ id });
      parentPort.close();
    }
  } catch (error) {
    parentPort.postMessage({ id, error: serialise(error) });
  }
});
`;

/** The modules this process was started with `--import` of (its arguments and NODE_OPTIONS). */
function preloads(): string[] {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  const found: string[] = [];
  args.forEach((arg, i) => {
    if (arg === "--import" && args[i + 1]) found.push(args[i + 1]!);
    else if (arg.startsWith("--import=")) found.push(arg.slice("--import=".length));
  });
  return found;
}

type Reply = {
  id: number;
  error?: Record<string, unknown>;
  rows?: unknown[];
  affectedRows?: number;
};

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

/**
 * One embedded database in a worker thread. Statements are answered in the order sent; the
 * caller serialises transactions (pglite-dialect.ts holds its one connection per user).
 */
export class PGliteWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(private readonly worker: Worker) {
    // An idle database thread does not keep the process alive (an embedded database in the
    // caller's thread never did); one with a statement in flight does.
    worker.unref();
    worker.on("message", (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      waiting.resolve(reply);
    });
    worker.on("error", (error) => this.stop(error));
    worker.on("exit", (code) =>
      this.stop(new Error(`the embedded database's thread stopped (exit code ${code})`)),
    );
  }

  /** Starts the thread and opens (or creates) the database in it. */
  static async open(options: PGliteWorkerOptions): Promise<PGliteWorker> {
    const pglite = createRequire(import.meta.url).resolve("@electric-sql/pglite");
    const client = new PGliteWorker(
      new Worker(WORKER_SOURCE, { eval: true, workerData: { pglite, preloads: preloads() } }),
    );
    const template = options.template;
    try {
      await client.send(
        {
          kind: "open",
          dataDir: options.dataDir,
          template,
          numberTypes: options.numberTypes ?? [],
          textTypes: options.textTypes ?? [],
          setup: options.setup ?? [],
          serverSettings: options.serverSettings ?? {},
        },
        // Moved, not copied, when the bytes are a whole buffer of their own (40 MB).
        template && template.byteOffset === 0 && template.byteLength === template.buffer.byteLength
          ? [template.buffer as ArrayBuffer]
          : [],
      );
    } catch (error) {
      await client.worker.terminate();
      throw error;
    }
    return client;
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<PGliteResult<R>> {
    if (this.closing) throw new Error("the embedded database is closed");
    const reply = await this.send({ kind: "query", sql, params });
    return {
      rows: reply.rows as R[],
      ...(reply.affectedRows !== undefined ? { affectedRows: reply.affectedRows } : {}),
    };
  }

  /** Closes the database (its files are complete on disk after this) and stops the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.stopped) return;
      try {
        await this.send({ kind: "close" });
      } finally {
        await this.worker.terminate();
      }
    })();
    return this.closing;
  }

  private send(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    }).then((reply) => {
      if (reply.error) throw revive(reply.error);
      return reply;
    });
  }

  private stop(error: Error): void {
    this.stopped ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

/**
 * The thread's error as an Error here, with what callers test kept: the SQLSTATE or errno
 * `code`, Emscripten's `errno` and name (shared/storage.ts), Postgres's detail, constraint
 * and the like.
 */
function revive(serialised: Record<string, unknown>): Error {
  const { message, stack, ...fields } = serialised;
  const error = new Error(typeof message === "string" ? message : "embedded database error");
  Object.assign(error, fields);
  if (typeof stack === "string") error.stack = stack;
  return error;
}
