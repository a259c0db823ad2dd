/**
 * The client against servers that are not the Atlassian API and misbehave on purpose, over
 * real HTTP: a redirect to another host (which must never see the key) and bodies too large
 * to buffer (which must be refused, not read).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  ClientError,
  createAtlassianClient,
  listOrgs,
  SchemaError,
} from "../../../src/atlassian/index.ts";

const KEY = "hostile-test-key-0123456789";
const servers: Server[] = [];

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

const client = (baseUrl: string) =>
  createAtlassianClient({
    apiKey: KEY,
    baseUrl,
    maxResponseBytes: 1024 * 1024,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
  });

describe("client against a hostile server", () => {
  it("does not follow a redirect, so the key never reaches the other host", async () => {
    const elsewhere: IncomingMessage[] = [];
    const other = await serve((req, res) => {
      elsewhere.push(req);
      res.end('{"data":[]}');
    });
    const redirecting = await serve((req, res) => {
      res.writeHead(307, { Location: `${other}${req.url ?? "/"}` }).end();
    });
    const error = await listOrgs(client(redirecting)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).status).toBe(307);
    expect((error as ClientError).message).toMatch(/redirect.*ATLASSIAN_API_URL/);
    expect(elsewhere).toHaveLength(0);
  });

  it("refuses a body larger than the limit, whether it is declared or streamed", async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    let calls = 0;
    const declared = await serve((_req, res) => {
      calls++;
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": big.length });
      res.end(big);
    });
    const streamed = await serve((_req, res) => {
      calls++;
      res.writeHead(200, { "Content-Type": "application/json" });
      // chunked, no length: the client can only find out while reading
      for (let i = 0; i < 32; i++) res.write(big.subarray(0, 64 * 1024));
      res.end("{}");
    });
    for (const url of [declared, streamed]) {
      calls = 0;
      const error = await listOrgs(client(url)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchemaError);
      expect((error as SchemaError).message).toMatch(/over 1048576 bytes/);
      expect((error as SchemaError).message).not.toContain(KEY);
      expect(calls).toBe(1); // not retried
    }
  });
});
