// Drives Microsoft's Graph JavaScript client (@microsoft/microsoft-graph-client 3.x), unchanged,
// against a running graphcerts over https: create, get, update, filtered list, paging with
// PageIterator, /$count, JSON batching and errors, each checked against exact expected values.
// Run by tests/e2e/test_graph_js_client.py. Environment: GC_BASE_URL (https://localhost:PORT),
// GC_TOKEN (a bearer token), GC_TENANT (its tid), GC_EXPECT (a JSON file describing the seed data).
// Prints one JSON summary line on stdout; exits 1 on the first mismatch, naming it on stderr.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  BatchRequestContent,
  BatchResponseContent,
  Client,
  GraphError,
  PageIterator,
  ResponseType,
} from "@microsoft/microsoft-graph-client";

const SET = "/deviceManagement/userPfxCertificates";
const TYPE = "#microsoft.graph.userPFXCertificate";

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

// The server's id rule: uuid v5 of the lower-cased UPN in the tenant's namespace, no dashes,
// then "-" and the lower-cased thumbprint (README, "A few rules worth knowing").
function userPfxId(tenant, upn, thumbprint) {
  const ns = Buffer.from(tenant.replace(/-/g, ""), "hex");
  const h = createHash("sha1").update(ns).update(Buffer.from(upn.toLowerCase(), "utf8")).digest();
  const b = h.subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  return b.toString("hex") + "-" + thumbprint.toLowerCase();
}

function newBody(upn) {
  return {
    thumbprint: randomBytes(20).toString("hex"),
    userPrincipalName: upn,
    intendedPurpose: "smimeEncryption",
    paddingScheme: "oaepSha256",
    providerName: "Microsoft Software Key Storage Provider",
    keyName: "PFXEncryptionKey",
    startDateTime: "2024-01-01T00:00:00Z",
    expirationDateTime: "2026-06-30T12:00:00.1234567+02:00",
    encryptedPfxBlob: randomBytes(48).toString("base64"),
    encryptedPfxPassword: Buffer.from("wrapped-password").toString("base64"),
  };
}

// The entity as the server must answer it: the body's values, secrets hidden, keys in order.
function expectedEntity(base, tenant, body, over = {}) {
  const e = {
    "@odata.context": `${base}/beta/$metadata#deviceManagement/userPfxCertificates/$entity`,
    "@odata.type": TYPE,
    id: userPfxId(tenant, body.userPrincipalName, body.thumbprint),
    ...body,
    encryptedPfxBlob: "AA==",
    encryptedPfxPassword: "",
    ...over,
  };
  return e;
}

// Compares everything but the server-set times, which are checked to be recent instead.
function checkEntity(step, got, want, sinceMs) {
  for (const k of ["createdDateTime", "lastModifiedDateTime"]) {
    ok(typeof got[k] === "string", `${step}: ${k} missing`);
    const t = Date.parse(got[k]);
    ok(t >= sinceMs - 5000 && t <= Date.now() + 5000, `${step}: ${k} ${got[k]} is not about now`);
  }
  const rest = { ...got };
  delete rest.createdDateTime;
  delete rest.lastModifiedDateTime;
  deepStrictEqual(Object.keys(rest).sort(), Object.keys(want).sort(), `${step}: property names`);
  deepStrictEqual(rest, want, `${step}: entity`);
}

async function expectGraphError(step, promise, status, code) {
  try {
    await promise;
  } catch (e) {
    ok(e instanceof GraphError, `${step}: expected a GraphError, got ${e && e.constructor && e.constructor.name}: ${e}`);
    strictEqual(e.statusCode, status, `${step}: statusCode`);
    strictEqual(e.code, code, `${step}: code`);
    ok(typeof e.message === "string" && e.message.length > 0, `${step}: empty message`);
    ok(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(e.requestId), `${step}: requestId ${e.requestId}`);
    ok(!Number.isNaN(e.date.getTime()), `${step}: innerError.date does not parse`);
    return e;
  }
  throw new Error(`${step}: expected a ${status} ${code} GraphError, the call succeeded`);
}

async function main() {
  const started = Date.now();
  const base = env("GC_BASE_URL").replace(/\/+$/, "");
  const token = env("GC_TOKEN");
  const tenant = env("GC_TENANT");
  const expect = JSON.parse(readFileSync(env("GC_EXPECT"), "utf8"));
  const host = new URL(base).hostname;
  const summary = { client: "@microsoft/microsoft-graph-client", baseUrl: base, steps: {} };
  const step = (name, info) => { summary.steps[name] = info; };

  let tokenAsked = 0;
  const client = Client.init({
    baseUrl: base,
    customHosts: new Set([host]),
    authProvider: (done) => { tokenAsked++; done(null, token); },
  });
  const api = (path) => client.api(path).version("beta");

  // create
  const body = newBody(`js.client.${randomBytes(4).toString("hex")}@contoso.example`);
  const t0 = Date.now();
  const created = await api(SET).post(body);
  const want = expectedEntity(base, tenant, body);
  checkEntity("create", created, want, t0);
  const id = created.id;
  step("create", { id });

  // duplicate create: 409 Conflict as a GraphError
  await expectGraphError("duplicate create", api(SET).post(body), 409, "Conflict");
  step("duplicateCreate", { statusCode: 409, code: "Conflict" });

  // get, raw: the headers are Graph's
  const raw = await api(`${SET}/${id}`).responseType(ResponseType.RAW).get();
  strictEqual(raw.status, 200, "get: status");
  const etag1 = raw.headers.get("etag");
  ok(/^W\/".+"$/.test(etag1 || ""), `get: ETag ${etag1}`);
  strictEqual(raw.headers.get("odata-version"), "4.0", "get: OData-Version");
  ok(raw.headers.get("request-id"), "get: request-id header");
  // the client sends its own client-request-id (a fresh GUID); the server echoes it, so it is
  // not the server's request-id
  ok(/^[0-9a-f-]{36}$/.test(raw.headers.get("client-request-id") || ""), "get: client-request-id");
  ok(raw.headers.get("client-request-id") !== raw.headers.get("request-id"), "get: client-request-id not echoed");
  const got = await raw.json();
  deepStrictEqual(got, created, "get: entity equals the created one");
  step("get", { etag: etag1 });

  // and the plain form of the same read, through the key-in-parentheses form
  deepStrictEqual(await api(`${SET}('${id}')`).get(), created, "get ('id'): entity");

  // update: PATCH merges and answers the whole entity
  const t1 = Date.now();
  const patched = await api(`${SET}/${id}`).patch({ intendedPurpose: "smimeSigning", keyName: "RotatedKey" });
  checkEntity("patch", patched, { ...want, intendedPurpose: "smimeSigning", keyName: "RotatedKey" }, t0);
  strictEqual(patched.createdDateTime, created.createdDateTime, "patch: createdDateTime kept");
  ok(Date.parse(patched.lastModifiedDateTime) >= t1 - 5000, "patch: lastModifiedDateTime moved");
  deepStrictEqual(await api(`${SET}/${id}`).get(), patched, "get after patch");
  step("patch", { intendedPurpose: patched.intendedPurpose, keyName: patched.keyName });

  // a stale If-Match: 412 PreconditionFailed
  await expectGraphError("stale If-Match",
    api(`${SET}/${id}`).header("If-Match", etag1).patch({ keyName: "Stale" }), 412, "PreconditionFailed");
  step("staleIfMatch", { statusCode: 412, code: "PreconditionFailed" });

  // filtered list: $filter, $top, $select, $orderby, $count=true
  const pagingIds = expect.pagingIds.slice().sort();
  const filter = `userPrincipalName eq '${expect.pagingUpn}'`;
  const first = await api(SET).filter(filter).select(["id", "thumbprint"]).orderby("thumbprint").top(100).count(true).get();
  strictEqual(first["@odata.context"],
    `${base}/beta/$metadata#deviceManagement/userPfxCertificates(id,thumbprint)`, "list: @odata.context");
  strictEqual(first["@odata.count"], pagingIds.length, "list: @odata.count");
  strictEqual(first.value.length, 100, "list: first page size");
  // ids are {user}-{thumbprint} for one user, so thumbprint order is id order
  deepStrictEqual(first.value.map((e) => e.id), pagingIds.slice(0, 100), "list: first page ids, in order");
  for (const e of first.value) {
    deepStrictEqual(Object.keys(e), ["@odata.type", "id", "thumbprint"], "list: $select");
    strictEqual(e["@odata.type"], TYPE, "list: @odata.type");
    strictEqual(e.id.split("-")[1], e.thumbprint, "list: thumbprint");
  }
  const nextLink = first["@odata.nextLink"];
  ok(typeof nextLink === "string" && nextLink.startsWith(`${base}/beta/deviceManagement/userPfxCertificates?`),
    `list: @odata.nextLink ${nextLink}`);
  step("filteredList", { count: first["@odata.count"], firstPage: first.value.length });

  // every page of the filtered collection with PageIterator (100 a page)
  const seen = [];
  const pagesBefore = tokenAsked;
  const it = new PageIterator(client, first, (e) => { seen.push(e.id); return true; });
  await it.iterate();
  ok(it.isComplete(), "PageIterator: not complete");
  deepStrictEqual(seen, pagingIds, "PageIterator: every id once, in order");
  const pages = 1 + (tokenAsked - pagesBefore);
  strictEqual(pages, Math.ceil(pagingIds.length / 100), "PageIterator: pages fetched");
  step("pageIterator", { entities: seen.length, pages });

  // the whole set, unfiltered, in the server's default page size, through PageIterator too
  const all = [];
  const allFirst = await api(SET).get();
  const before = tokenAsked;
  const whole = new PageIterator(client, allFirst, (e) => { all.push(e.id); return true; });
  await whole.iterate();
  ok(whole.isComplete(), "PageIterator (whole set): not complete");
  strictEqual(allFirst.value.length, Math.min(expect.pageSize, expect.total + 1), "PageIterator (whole set): first page");
  strictEqual(all.length, expect.total + 1, "PageIterator (whole set): entities");
  strictEqual(new Set(all).size, all.length, "PageIterator (whole set): duplicates");
  ok(all.includes(id), "PageIterator (whole set): the created entity");
  ok(expect.pagingIds.every((i) => all.includes(i)), "PageIterator (whole set): the seeded entities");
  step("pageIteratorWholeSet", { entities: all.length, pages: 1 + (tokenAsked - before) });

  // /$count, plain and filtered
  const count = await api(`${SET}/$count`).get();
  strictEqual(String(count), String(expect.total + 1), "$count");
  const fcount = await api(`${SET}/$count`).filter(filter).get();
  strictEqual(String(fcount), String(pagingIds.length), "$count with $filter");
  step("count", { all: Number(count), filtered: Number(fcount) });

  // JSON batching: a serial chain (each step depends on the one before)
  const other = newBody(`js.batch.${randomBytes(4).toString("hex")}@contoso.example`);
  const otherId = userPfxId(tenant, other.userPrincipalName, other.thumbprint);
  const missing = userPfxId(tenant, "nobody@contoso.example", "00".repeat(20));
  // 3.0.7 turns a Request's URL into "/" + everything after the host, so the URL is written
  // without the version, as Microsoft advises for this release (the batch endpoint adds it).
  const url = (p) => `${base}${p}`;
  const json = { "Content-Type": "application/json" };
  const batch = new BatchRequestContent([
    { id: "1", request: new Request(url(`${SET}/${id}`), { method: "GET" }) },
    { id: "2", request: new Request(url(`${SET}/${id}`), { method: "PATCH", headers: json, body: JSON.stringify({ keyName: "BatchedKey" }) }), dependsOn: ["1"] },
    { id: "3", request: new Request(url(SET), { method: "POST", headers: json, body: JSON.stringify(other) }), dependsOn: ["2"] },
    { id: "4", request: new Request(url(`${SET}/$count`), { method: "GET" }), dependsOn: ["3"] },
    { id: "5", request: new Request(url(`${SET}/${otherId}`), { method: "DELETE" }), dependsOn: ["4"] },
    { id: "6", request: new Request(url(`${SET}/${missing}`), { method: "GET" }), dependsOn: ["5"] },
  ]);
  const batchBody = await batch.getContent();
  const batchAnswer = await api("/$batch").post(batchBody);
  const br = new BatchResponseContent(batchAnswer);
  const status = (k) => br.getResponseById(k).status;
  deepStrictEqual(["1", "2", "3", "4", "5", "6"].map(status), [200, 200, 201, 200, 204, 404], "batch: statuses");
  deepStrictEqual(await br.getResponseById("1").json(), patched, "batch 1: GET");
  const b2 = await br.getResponseById("2").json();
  strictEqual(b2.keyName, "BatchedKey", "batch 2: PATCH keyName");
  strictEqual(b2.intendedPurpose, "smimeSigning", "batch 2: PATCH kept the rest");
  const b3 = await br.getResponseById("3").json();
  checkEntity("batch 3: POST", b3, expectedEntity(base, tenant, other), t0);
  strictEqual((await br.getResponseById("4").text()).trim(), String(expect.total + 2), "batch 4: $count");
  strictEqual(await br.getResponseById("5").text(), "", "batch 5: DELETE body");
  const b6 = await br.getResponseById("6").json();
  strictEqual(b6.error.code, "ResourceNotFound", "batch 6: error code");
  step("batch", { statuses: ["1", "2", "3", "4", "5", "6"].map(status) });

  // batching: a failed dependency answers 424 for the dependent request
  const failing = new BatchRequestContent([
    { id: "a", request: new Request(url(`${SET}/${missing}`), { method: "GET" }) },
    { id: "b", request: new Request(url(`${SET}/${id}`), { method: "DELETE" }), dependsOn: ["a"] },
  ]);
  const fr = new BatchResponseContent(await api("/$batch").post(await failing.getContent()));
  deepStrictEqual([fr.getResponseById("a").status, fr.getResponseById("b").status], [404, 424], "failed dependency");
  // (b did not run: the entity is still there)
  strictEqual((await api(`${SET}/${id}`).get()).keyName, "BatchedKey", "failed dependency: nothing deleted");
  step("batchFailedDependency", { statuses: [404, 424] });

  // a version in a batch URL is a path segment, as on Graph: 400 for that request only
  const versioned = new BatchRequestContent([
    { id: "v", request: new Request(url(`/beta${SET}/${id}`), { method: "GET" }) },
  ]);
  const vr = new BatchResponseContent(await api("/$batch").post(await versioned.getContent()));
  strictEqual(vr.getResponseById("v").status, 400, "versioned batch URL: status");
  const vbody = await vr.getResponseById("v").json();
  strictEqual(vbody.error.code, "BadRequest", "versioned batch URL: code");
  strictEqual(vbody.error.message, "Resource not found for the segment 'beta'.", "versioned batch URL: message");
  step("batchVersionedUrl", { status: 400 });

  // delete, then the entity is gone: 404 ResourceNotFound as a GraphError
  const deleted = await api(`${SET}/${id}`).delete();
  strictEqual(deleted, undefined, "delete: no body");
  const e404 = await expectGraphError("get after delete", api(`${SET}/${id}`).get(), 404, "ResourceNotFound");
  await expectGraphError("delete again", api(`${SET}/${id}`).delete(), 404, "ResourceNotFound");
  strictEqual(String(await api(`${SET}/$count`).get()), String(expect.total), "$count after delete");
  step("delete", { statusCode: e404.statusCode, code: e404.code });

  // a bad property surfaces as 400 BadRequest naming it
  const e400 = await expectGraphError("unknown property", api(SET).post({ ...newBody("x@contoso.example"), colour: "blue" }), 400, "BadRequest");
  ok(e400.message.includes("colour"), `unknown property: message ${e400.message}`);
  step("badRequest", { message: e400.message });

  // a token the server cannot verify: 401 InvalidAuthenticationToken
  const anon = Client.init({
    baseUrl: base,
    customHosts: new Set([host]),
    authProvider: (done) => done(null, "not-a-jwt"),
  });
  await expectGraphError("bad token", anon.api(SET).version("beta").get(), 401, "InvalidAuthenticationToken");
  step("badToken", { statusCode: 401 });

  summary.ok = true;
  summary.tokenRequests = tokenAsked;
  summary.ms = Date.now() - started;
  process.stdout.write(JSON.stringify(summary) + "\n");
}

main().catch((e) => {
  process.stderr.write(`client_test.mjs: FAILED: ${e && e.stack ? e.stack : e}\n`);
  if (e && e.body) process.stderr.write(`  body: ${e.body}\n`);
  process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.message ? e.message : e) }) + "\n");
  process.exit(1);
});
