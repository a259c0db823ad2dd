/**
 * Network faults between Reclaim and the servers it talks to, for tests:
 * - an HTTP proxy in front of the simulator that can hold requests until several arrive (to
 *   release two processes at the same instant) or answer some requests itself;
 * - a TCP proxy in front of Postgres that can cut every connection and refuse new ones for a
 *   while (a database restart, as the client sees it).
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";

export interface HttpProxy {
  url: string;
  /** Requests seen, in arrival order ("METHOD /path"). */
  seen: string[];
  close(): Promise<void>;
}

export interface HttpProxyOptions {
  /** Hold the first N requests until N have arrived, then let them all through together. */
  holdFirst?: number;
  /** Answer a request instead of forwarding it (return undefined to forward). */
  answer?: (req: {
    method: string;
    path: string;
    n: number;
  }) => { status: number; body: string; headers?: Record<string, string> } | undefined;
}

export async function startHttpProxy(
  target: string,
  options: HttpProxyOptions = {},
): Promise<HttpProxy> {
  const seen: string[] = [];
  const held: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = seen.push(`${req.method} ${req.url}`);
      const forward = () => {
        const answer = options.answer?.({ method: req.method ?? "GET", path: req.url ?? "/", n });
        if (answer) {
          res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
          res.end(answer.body);
          return;
        }
        const headers = { ...req.headers };
        delete headers.host;
        delete headers["content-length"];
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        fetch(new URL(req.url ?? "/", target), {
          method: req.method,
          headers: headers as Record<string, string>,
          ...(body && req.method !== "GET" ? { body } : {}),
        })
          .then(async (upstream) => {
            const out: Record<string, string> = {};
            upstream.headers.forEach((v, k) => {
              if (k !== "content-encoding" && k !== "content-length" && k !== "transfer-encoding")
                out[k] = v;
            });
            res.writeHead(upstream.status, out);
            res.end(Buffer.from(await upstream.arrayBuffer()));
          })
          .catch(() => {
            res.writeHead(502);
            res.end();
          });
      };
      if (options.holdFirst !== undefined && n <= options.holdFirst) {
        held.push(forward);
        if (held.length === options.holdFirst) for (const go of held.splice(0)) go();
        return;
      }
      forward();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TcpProxy {
  port: number;
  /** Destroys every open connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let down = false;
  const state = { connections: 0 };
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    state.connections++;
    const upstream = net.connect(targetPort, targetHost);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop);
    upstream.on("error", drop);
    client.on("close", drop);
    upstream.on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    get connections() {
      return state.connections;
    },
    cut() {
      down = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
