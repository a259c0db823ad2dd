import { describe, expect, it } from "vitest";
import {
  AuthError,
  BadRequestError,
  ClientError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  parseErrorBody,
  RateLimitError,
  ServerError,
} from "../../../src/atlassian/index.ts";
import { disableAccount, getOrg } from "../../../src/atlassian/index.ts";
import { json, stubClient, text } from "./stub-fetch.ts";

const noScrub = (s: string): string => s;

describe("parseErrorBody: the four documented shapes and non-JSON", () => {
  it("gateway ProxyError {code, message}", () => {
    const b = parseErrorBody(
      '{"code":401,"message":"Unauthorized; scope does not match"}',
      noScrub,
    );
    expect(b).toMatchObject({
      shape: "gateway",
      code: "401",
      message: "Unauthorized; scope does not match",
    });
  });
  it("ApplicationErrors {errors:[…]} with several entries", () => {
    const b = parseErrorBody(
      JSON.stringify({
        errors: [
          {
            id: "r1",
            status: "404",
            code: "ADMIN-404-8",
            title: "Not Found",
            detail: "User not found",
          },
          {
            id: "r2",
            status: "404",
            code: "ADMIN-404-2",
            title: "Not Found",
            detail: "Org not found",
          },
        ],
      }),
      noScrub,
    );
    expect(b).toMatchObject({
      shape: "errors",
      code: "ADMIN-404-8",
      codes: ["ADMIN-404-8", "ADMIN-404-2"],
      requestId: "r1",
    });
    expect(b.message).toContain("User not found");
    expect(b.message).toContain("Org not found");
  });
  it("bare ApplicationError (workspaces)", () => {
    const b = parseErrorBody(
      '{"id":"x","status":"400","code":"ADMIN-400-4","title":"Bad","detail":"invalid resource"}',
      noScrub,
    );
    expect(b).toMatchObject({
      shape: "application",
      code: "ADMIN-400-4",
      message: "Bad: invalid resource",
    });
  });
  it("Spring-style 403 with numeric status", () => {
    const b = parseErrorBody(
      '{"timestamp":"2025-06-06T06:03:27.122+00:00","path":"/api/admin/v1/orgs/o/users","status":403,"error":"Forbidden","message":"User has no permission to access resource.","requestId":"b4fce632-202784"}',
      noScrub,
    );
    expect(b).toMatchObject({
      shape: "spring",
      message: "Forbidden: User has no permission to access resource.",
      requestId: "b4fce632-202784",
    });
  });
  it("user-management {key, context}", () => {
    const b = parseErrorBody(
      '{"key":"forbidden.action","context":{"allowed":false,"reason":{"key":"managedAccount"}}}',
      noScrub,
    );
    expect(b).toMatchObject({ shape: "user-management", code: "forbidden.action" });
    expect(b.message).toContain("managedAccount");
    const c = parseErrorBody(
      '{"key":"conflict.lifecycleErrors","context":{"message":"not eligible","accountId":"a","errorCodes":[{"code":"X","message":"is org admin"}]}}',
      noScrub,
    );
    expect(c.message).toContain("not eligible");
    expect(c.message).toContain("is org admin");
  });
  it("HTML and other non-JSON bodies", () => {
    const b = parseErrorBody(
      "<html><head><title>502 Bad Gateway</title></head><body>x</body></html>",
      noScrub,
    );
    expect(b).toMatchObject({ shape: "text", message: "502 Bad Gateway" });
    expect(parseErrorBody("upstream connect error", noScrub)).toMatchObject({
      shape: "text",
      message: "upstream connect error",
    });
    expect(parseErrorBody("", noScrub).shape).toBe("empty");
  });
});

describe("status → typed error (through the transport)", () => {
  const cases: [number, string, new (...a: never[]) => Error, RegExp][] = [
    [401, '{"code":401,"message":"Unauthorized"}', AuthError, /without scopes/i],
    [403, '{"key":"forbidden"}', ForbiddenError, /scoped keys/i],
    [
      404,
      '{"errors":[{"id":"1","status":"404","code":"ADMIN-404-2","title":"Not Found","detail":"org"}]}',
      NotFoundError,
      /ADMIN-404-2/,
    ],
    [
      400,
      '{"errors":[{"id":"1","status":"400","code":"ADMIN-400-1","title":"Bad","detail":"cursor"}]}',
      BadRequestError,
      /restart the listing/,
    ],
    [
      402,
      '{"errors":[{"id":"1","status":"402","code":"ADMIN-UAM-402-1","title":"Payment Required"}]}',
      ClientError,
      /will not succeed/,
    ],
    [501, "<html><title>Not Implemented</title></html>", ServerError, /server-side/],
  ];
  for (const [status, body, cls, hint] of cases) {
    it(`${status} → ${cls.name}, not retried, message says what to do`, async () => {
      const { client, calls } = stubClient(() =>
        body.startsWith("<") ? text(status, body) : json(status, JSON.parse(body)),
      );
      const err = await getOrg(client, { orgId: "o1" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(cls);
      expect((err as Error).message).toMatch(hint);
      expect((err as ServerError).status).toBe(status);
      expect((err as ServerError).endpoint).toBe("orgs");
      expect((err as ServerError).request).toBe("GET /admin/v1/orgs/o1");
      expect(calls).toHaveLength(1);
    });
  }

  it("409 is disambiguated: already / license-limit / other", async () => {
    const bodies: [unknown, string][] = [
      [
        {
          errors: [
            {
              status: "409",
              code: "ADMIN-409-28",
              title: "Conflict",
              detail: "User is already a member of the group",
            },
          ],
        },
        "already",
      ],
      [
        { errors: [{ status: "409", code: "ADMIN-409-3", title: "License limit exceeded" }] },
        "license-limit",
      ],
      [{ code: 409, message: "You've exceeded your user limit for an app" }, "license-limit"],
      [{ errors: [{ status: "409", code: "ADMIN-409-5", title: "Group not empty" }] }, "other"],
    ];
    for (const [body, reason] of bodies) {
      const { client } = stubClient(() => json(409, body));
      const err = await getOrg(client, { orgId: "o1" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).reason).toBe(reason);
    }
  });

  it("401 tells the user to create an org API key without scopes; site API tokens do not work", async () => {
    for (const body of [
      { code: 401, message: "Unauthorized" },
      { code: 401, message: "Unauthorized; scope does not match" },
    ]) {
      const err = await getOrg(stubClient(() => json(401, body)).client, { orgId: "o1" }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AuthError);
      expect((err as Error).message).toMatch(/create an organization API key without scopes/i);
      expect((err as Error).message).toContain(
        "site API tokens (Basic auth on *.atlassian.net) and OAuth tokens do not work here",
      );
      expect((err as Error).message.includes("scopes do not cover")).toBe(
        body.message.includes("scope"),
      );
    }
  });

  it("403 from user-management: a scoped-key rejection is told apart from a forbidden target", async () => {
    const scoped = [
      { key: "forbidden", context: { message: "Token is missing required scope manage:org" } },
      { code: 403, message: "Forbidden; scope does not match" },
      {
        timestamp: "2025-06-06T06:03:27.122+00:00",
        path: "/users/u1/manage/lifecycle/disable",
        status: 403,
        error: "Forbidden",
        message: "Required scopes: manage:org",
      },
    ];
    for (const body of scoped) {
      const err = await disableAccount(stubClient(() => json(403, body)).client, {
        accountId: "u1",
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ForbiddenError);
      expect((err as ForbiddenError).scopedKey).toBe(true);
      expect((err as Error).message).toMatch(/refuses scoped keys/);
      expect((err as Error).message).toMatch(/without scopes/);
    }
    for (const body of [
      { key: "forbidden.action", context: { allowed: false, reason: { key: "managedAccount" } } },
      { key: "forbidden.unclaimedDomain", context: { domain: "scope.example.com" } },
      { key: "forbidden" },
    ]) {
      const err = await disableAccount(stubClient(() => json(403, body)).client, {
        accountId: "u1",
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ForbiddenError);
      expect((err as ForbiddenError).scopedKey).toBe(false);
      expect((err as Error).message).toMatch(/not allowed to do this/);
    }
  });

  it("HTML 429 bodies still map to RateLimitError with the wait", async () => {
    const { client } = stubClient(() =>
      text(429, "<html><title>Too Many</title></html>", { "retry-after": "400" }),
    );
    const err = await getOrg(client, { orgId: "o1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(400_000);
  });
});
