// Regression tests of the header, callback and provider hardening. Forged
// claim headers and the module's cookies are removed where no login is
// needed, and provider error text is shown only for a login in progress.
// The callback requires the RFC 9207 iss parameter, and a provider fetch
// that timed out is not repeated for every queued request. Claim prefixes
// that would remove essential headers are rejected. Long request targets
// return to their encoded path, repeated Cookie fields keep the session,
// and eviction deletes only state cookies the module can have made.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';

import { configtest } from './lib/apache.mjs';
import { Client, isDeletion, parseEnvText, parseSetCookie, rawRequest } from './lib/client.mjs';
import {
  ALICE, SESSION_COOKIE, STATE_COOKIE_PREFIX,
  authorizationParams, loggedInClient, loginUntilCallback, sessionCookiesSet, sleep,
} from './lib/flow.mjs';
import { Stack } from './lib/stack.mjs';

const stack = new Stack(11);

// A provider that accepts connections and never responds, on a port of
// this file's provider range that the real provider does not use.
const silentPort = stack.providerPort + 1;
const silentIssuer = `http://127.0.0.1:${silentPort}`;
let silentServer;
let silentConnections = 0;
const silentSockets = new Set();

// The back-off after a failed fetch, PKCE_PROVIDER_RETRY_AFTER in
// include/pkce_provider.h.
const RETRY_AFTER_MS = 5000;

before(async () => {
  silentServer = net.createServer((socket) => {
    silentConnections += 1;
    silentSockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => silentSockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    silentServer.once('error', reject);
    silentServer.listen(silentPort, '127.0.0.1', resolve);
  });

  await stack.startProvider();
  await stack.startEcho();
  const echo = `http://127.0.0.1:${stack.echoPort}/echo`;
  await stack.startApache('main', {
    extraConfig: `ProxyPass "/plain-echo" "${echo}"
<Location /open-echo>
    AuthType pkce
    Require all granted
    ProxyPass "${echo}"
</Location>`,
  });
  await stack.startApache('silent', { pkce: { PKCEAuthIssuer: silentIssuer, PKCEAuthHTTPTimeout: 2 } });
  await stack.startApache('silent-6s', { pkce: { PKCEAuthIssuer: silentIssuer, PKCEAuthHTTPTimeout: 6 } });
});

after(async () => {
  await stack.stopAll();
  for (const socket of silentSockets) {
    socket.destroy();
  }
  await new Promise((resolve) => silentServer.close(resolve));
});

function moduleLine(tag) {
  return new RegExp(`\\[pkce_auth:error\\] .*${tag}: `);
}

/** Returns the echo backend's raw request headers as [name, value] pairs. */
function echoedPairs(res) {
  const raw = JSON.parse(res.body).rawHeaders;
  const pairs = [];
  for (let i = 0; i < raw.length; i += 2) {
    pairs.push([raw[i], raw[i + 1]]);
  }
  return pairs;
}

/** Returns the values of the echoed headers that httpd treats as claim header `claim`. */
function claimValues(pairs, claim) {
  const expected = `oidc_claim_${claim}`;
  return pairs.filter(([name]) => name.toLowerCase().replaceAll('-', '_') === expected).map(([, value]) => value);
}

/** Returns the cookie names of the Cookie headers among `pairs`. */
function echoedCookieNames(pairs) {
  return pairs
    .filter(([name]) => name.toLowerCase() === 'cookie')
    .flatMap(([, value]) => value.split(';'))
    .map((cookie) => cookie.trim().split('=')[0])
    .filter(Boolean)
    .sort();
}

const FORGED_CLAIMS = {
  OIDC_CLAIM_email: 'forged@x',
  'oidc-claim-email': 'forged@x',
  'OIDC-Claim-Role': 'admin',
};

/**
 * Logs alice in, leaves a login pending so that a state cookie sits beside
 * the session cookie, and adds the application's cookie other=keep.
 */
async function clientWithModuleCookies(apache) {
  const client = await loggedInClient(apache);
  await client.get(`${apache.url}/app/`, { cookies: false });
  const names = client.jar.forHost('localhost').map((c) => c.name);
  assert.ok(names.includes(SESSION_COOKIE), `no session cookie in the jar: ${names}`);
  assert.ok(names.some((n) => n.startsWith(STATE_COOKIE_PREFIX)), `no state cookie in the jar: ${names}`);
  client.jar.set('localhost', 'other', 'keep');
  return client;
}

for (const [name, path] of [['open location', '/open-echo/x'], ['unprotected proxy', '/plain-echo/x']]) {
  stack.test(`${name} drops forged claims and cookies`, async () => {
    const apache = stack.apache('main');
    const client = await clientWithModuleCookies(apache);

    const res = await client.get(`${apache.url}${path}`, { headers: FORGED_CLAIMS });
    assert.equal(res.status, 200, res.body);
    const pairs = echoedPairs(res);

    assert.deepEqual(claimValues(pairs, 'email'), [], `forged email reached the backend: ${JSON.stringify(pairs)}`);
    assert.deepEqual(claimValues(pairs, 'role'), [], `forged role reached the backend: ${JSON.stringify(pairs)}`);
    assert.ok(!pairs.some(([, v]) => v.includes('forged@x')), `forged value reached the backend: ${JSON.stringify(pairs)}`);
    assert.deepEqual(echoedCookieNames(pairs), ['other']);
    const cookieHeader = pairs.find(([n]) => n.toLowerCase() === 'cookie')[1];
    assert.match(cookieHeader, /(?:^|;\s*)other=keep(?:;|$)/);
  });
}

stack.test('logged-in proxy gets real claims only', async () => {
  const apache = stack.apache('main');
  const client = await loggedInClient(apache);

  const res = await client.get(`${apache.url}/app/echo/claims`, { headers: FORGED_CLAIMS });
  assert.equal(res.status, 200, res.body);
  const pairs = echoedPairs(res);

  assert.deepEqual(claimValues(pairs, 'email'), ['alice@example.com']);
  assert.deepEqual(claimValues(pairs, 'role'), [], 'alice has no role claim, so the header must be absent');
  assert.ok(!pairs.some(([, v]) => v.includes('forged@x')), `forged value reached the backend: ${JSON.stringify(pairs)}`);
});

const ERROR_DESCRIPTION = '<b>hi</b>';

/** Asserts that an error page shows none of the callback's error text. */
function assertNoProviderText(body) {
  assert.ok(!body.includes('access_denied'), `error code on the page: ${body}`);
  assert.ok(!body.includes('<b>'), `raw description on the page: ${body}`);
  assert.ok(!body.includes('&lt;b&gt;'), `escaped description on the page: ${body}`);
}

// Callbacks with an error= response that belong to no login in progress:
// [case, query parameters besides error and error_description, log tag].
const STRANGER_ERRORS = [
  ['without state cookie', () => ({ state: crypto.randomBytes(32).toString('base64url') }), 'PKCE025'],
  ['without state', () => ({}), 'PKCE021'],
  ['with malformed state', () => ({ state: 'not-a-state' }), 'PKCE022'],
];

for (const [name, makeParams, tag] of STRANGER_ERRORS) {
  stack.test(`error callback ${name} shows no text`, async ({ expectLog }) => {
    expectLog(moduleLine(tag));
    const apache = stack.apache('main');
    const query = new URLSearchParams({
      error: 'access_denied',
      error_description: ERROR_DESCRIPTION,
      ...makeParams(),
      iss: stack.issuer,
    });

    const res = await new Client().get(`${stack.redirectUri(apache.port)}?${query}`);
    assert.equal(res.status, 400, res.body);
    assertNoProviderText(res.body);
    assert.equal(sessionCookiesSet(res).length, 0);
  });
}

/** Starts a login and returns its client and state, before the provider is visited. */
async function pendingLogin(apache) {
  const client = new Client();
  const start = await client.get(`${apache.url}/app/`);
  return { client, state: authorizationParams(start).get('state') };
}

stack.test('error callback of pending login shows error', async ({ expectLog }) => {
  expectLog(moduleLine('PKCE020'));
  const apache = stack.apache('main');
  const { client, state } = await pendingLogin(apache);
  const query = new URLSearchParams({ error: 'access_denied', error_description: ERROR_DESCRIPTION, state, iss: stack.issuer });

  const res = await client.get(`${stack.redirectUri(apache.port)}?${query}`);
  assert.equal(res.status, 403, res.body);
  assert.match(res.body, /access_denied/);
  assert.ok(res.body.includes('&lt;b&gt;hi&lt;/b&gt;'), `escaped description missing: ${res.body}`);
  assert.ok(!res.body.includes('<b>'), `raw markup on the page: ${res.body}`);
});

stack.test('error callback cuts long description', async ({ expectLog }) => {
  expectLog(moduleLine('PKCE020'));
  const apache = stack.apache('main');
  const { client, state } = await pendingLogin(apache);
  // Letters a to z repeated, so that the page shows where the cut fell.
  const description = Array.from({ length: 1000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
  const query = new URLSearchParams({ error: 'access_denied', error_description: description, state, iss: stack.issuer });

  const res = await client.get(`${stack.redirectUri(apache.port)}?${query}`);
  assert.equal(res.status, 403, res.body);
  assert.ok(res.body.includes(`${description.slice(0, 300)}...`), `first 300 characters and "..." missing: ${res.body}`);
  assert.ok(!res.body.includes(description.slice(0, 301)), `more than 300 characters shown: ${res.body.length} bytes`);
});

stack.test('provider discovery promises iss parameter', async () => {
  const res = await rawRequest(`${stack.issuer}/.well-known/openid-configuration`);
  assert.equal(res.status, 200, res.body);
  assert.equal(JSON.parse(res.body).authorization_response_iss_parameter_supported, true);
});

// Callbacks with the real state and code but a missing or wrong iss:
// [case, change to the callback URL's query].
const ISS_CASES = [
  ['missing iss', (params) => params.delete('iss')],
  ['wrong iss', (params) => params.set('iss', 'http://127.0.0.1:1')],
];

for (const [name, change] of ISS_CASES) {
  stack.test(`callback with ${name} is rejected`, async ({ expectLog }) => {
    expectLog(moduleLine('PKCE029'));
    const apache = stack.apache('main');
    const client = new Client();
    const { callbackUrl } = await loginUntilCallback(client, `${apache.url}/app/`, ALICE);
    const url = new URL(callbackUrl);
    assert.equal(url.searchParams.get('iss'), stack.issuer, 'the provider should send iss');
    change(url.searchParams);

    const res = await client.get(url.href);
    assert.equal(res.status, 400, res.body);
    assert.equal(sessionCookiesSet(res).length, 0);
  });
}

/** Requests `path` on `apache` with a fresh client and resolves to {status, ms}. */
async function timedRequest(apache, path = '/app/') {
  const started = Date.now();
  const res = await new Client().get(`${apache.url}${path}`);
  return { status: res.status, ms: Date.now() - started };
}

stack.test('silent provider fails burst within two timeouts', async ({ expectLog }) => {
  expectLog(moduleLine('PKCE011'));
  const apache = stack.apache('silent');
  const connectionsBefore = silentConnections;

  // Four requests queue behind one discovery fetch of PKCEAuthHTTPTimeout
  // 2 s. Each fetching on its own would make the last wait 8 s.
  const started = Date.now();
  const results = await Promise.all([1, 2, 3, 4].map((i) => timedRequest(apache, `/app/burst-${i}`)));
  const elapsed = Date.now() - started;
  assert.deepEqual(results.map((r) => r.status), [502, 502, 502, 502]);
  assert.ok(elapsed < 6000, `last of 4 requests finished after ${elapsed} ms: ${JSON.stringify(results)}`);
  assert.equal(silentConnections - connectionsBefore, 1, 'the queued requests fetched again');

  // Within the back-off, a new request gets the failure without a fetch.
  const recalled = await timedRequest(apache, '/app/recalled');
  assert.equal(recalled.status, 502);
  assert.ok(recalled.ms < 1000, `request during the back-off took ${recalled.ms} ms`);
  assert.equal(silentConnections - connectionsBefore, 1, 'a request during the back-off fetched again');
});

stack.test('silent provider is retried after back-off', async ({ expectLog }) => {
  expectLog(moduleLine('PKCE011'));
  const apache = stack.apache('silent');
  // The back-off counts from the start of the previous test's failed fetch,
  // so it has run out after 6 s more.
  await sleep(RETRY_AFTER_MS + 1000);
  const connectionsBefore = silentConnections;

  const res = await timedRequest(apache, '/app/retry');
  assert.equal(res.status, 502);
  assert.equal(silentConnections - connectionsBefore, 1, 'no new fetch after the back-off');
});

stack.test('request queued behind long fetch waits once', async ({ expectLog }) => {
  // With a timeout over the 5 s back-off, a request that arrives while the
  // fetch still runs gets that fetch's failure, not a fetch of its own.
  expectLog(moduleLine('PKCE011'));
  const apache = stack.apache('silent-6s');
  const connectionsBefore = silentConnections;

  const first = timedRequest(apache, '/app/first');
  await sleep(5200);
  const second = await timedRequest(apache, '/app/second');
  const firstResult = await first;
  assert.equal(firstResult.status, 502);
  assert.equal(second.status, 502);
  assert.ok(second.ms < 3000, `request queued behind the fetch took ${second.ms} ms`);
  assert.equal(silentConnections - connectionsBefore, 1, 'the queued request fetched again');
});

// Claim prefixes that would remove request headers that the server needs:
// [prefix, headers whose names start with it].
const BAD_PREFIXES = [
  ['Co', ['Connection', 'Content-Encoding', 'Content-Length', 'Content-Type', 'Cookie']],
  ['X-F', ['X-Forwarded-For', 'X-Forwarded-Host', 'X-Forwarded-Proto']],
  ['Content', ['Content-Encoding', 'Content-Length', 'Content-Type']],
];

for (const [prefix, headers] of BAD_PREFIXES) {
  test(`configtest rejects claim prefix ${prefix}`, async () => {
    const port = stack.apachePorts[9];
    const result = await configtest({ port, pkce: stack.pkceSettings(port, { PKCEAuthClaimPrefix: prefix }) });
    assert.notEqual(result.code, 0, `apache2 -t passed:\n${result.output}`);
    assert.ok(result.output.includes('PKCEAuthClaimPrefix'), `message does not name the directive:\n${result.output}`);
    assert.ok(headers.some((h) => result.output.includes(h)), `message names none of ${headers.join(', ')}:\n${result.output}`);
  });
}

test('configtest accepts claim prefix X-User-', async () => {
  const port = stack.apachePorts[9];
  const result = await configtest({ port, pkce: stack.pkceSettings(port, { PKCEAuthClaimPrefix: 'X-User-' }) });
  assert.equal(result.code, 0, result.output);
});

// Request targets over the 2048-byte return path limit: [target, path the
// browser returns to, still percent-encoded].
const LONG_QUERY = `q=${'a'.repeat(2100)}`;
const LONG_TARGETS = [
  [`/app/x%3Fadmin=1%23frag?${LONG_QUERY}`, '/app/x%3Fadmin=1%23frag'],
  [`/app/x%20y?${LONG_QUERY}`, '/app/x%20y'],
];

for (const [target, expected] of LONG_TARGETS) {
  stack.test(`long target returns to ${expected}`, async () => {
    const apache = stack.apache('main');
    const client = new Client();
    const start = await client.get(`${apache.url}/`, { target });
    authorizationParams(start);
    const { callbackUrl } = await client.authorizeAtProvider(start.location, ALICE);

    const callback = await client.get(callbackUrl);
    assert.equal(callback.status, 302, callback.body);
    assert.equal(callback.location, expected);
  });
}

/**
 * Sends a GET with `rawHeaders`, a flat [name, value, ...] list that node
 * writes as separate header lines, even for repeated Cookie fields.
 */
function getWithRawHeaders(url, rawHeaders) {
  const parsed = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: parsed.port,
      path: `${parsed.pathname}${parsed.search}`,
      headers: ['Host', parsed.host, ...rawHeaders],
      agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// The order of the two Cookie fields: [case, fields as [name, value] pairs].
const COOKIE_FIELD_ORDERS = [
  ['other cookie first', (session) => [['Cookie', 'a=1'], ['Cookie', session]]],
  ['session cookie first', (session) => [['Cookie', session], ['Cookie', 'a=1']]],
];

for (const [name, makeFields] of COOKIE_FIELD_ORDERS) {
  stack.test(`two Cookie fields with ${name} authenticate`, async () => {
    const apache = stack.apache('main');
    const client = await loggedInClient(apache);
    const session = client.jar.header(`${apache.url}/app/`);
    const fields = makeFields(session).flat();

    // The echo backend shows that the fields leave node separately.
    const direct = await getWithRawHeaders(`http://127.0.0.1:${stack.echoPort}/echo`, fields);
    const sent = JSON.parse(direct.body).rawHeaders.filter((h) => h.toLowerCase() === 'cookie');
    assert.equal(sent.length, 2, 'node joined the Cookie fields');

    const res = await getWithRawHeaders(`${apache.url}/app/`, fields);
    assert.equal(res.status, 200, res.body.slice(0, 300));
    const env = parseEnvText(res.body);
    assert.equal(env.REMOTE_USER, 'alice-1001');
    assert.equal(env.HTTP_COOKIE, 'a=1');
  });
}

stack.test('state cookie eviction deletes only own names', async () => {
  const apache = stack.apache('main');
  const junk = Array.from({ length: 8 }, () => `${STATE_COOKIE_PREFIX}${crypto.randomBytes(32).toString('base64url')}`);
  const malformed = [`${STATE_COOKIE_PREFIX}a b`, `${STATE_COOKIE_PREFIX}<script>`];
  const cookie = [...junk, ...malformed].map((n, i) => `${n}=garbage-${i}`).join('; ');

  const res = await new Client().get(`${apache.url}/app/`, { cookies: false, headers: { cookie } });
  authorizationParams(res);
  const parsed = res.setCookies.map(parseSetCookie);

  const deleted = parsed.filter((c) => isDeletion(c)).map((c) => c.name).sort();
  assert.deepEqual(deleted, [...junk].sort());
  for (const header of res.setCookies) {
    assert.ok(!header.includes(`${STATE_COOKIE_PREFIX}a b`), `malformed name in Set-Cookie: ${header}`);
    assert.ok(!header.includes('<script>'), `malformed name in Set-Cookie: ${header}`);
  }
  for (const c of parsed) {
    assert.match(c.name, /^pkce_state_[A-Za-z0-9_-]{43}$/, `unexpected Set-Cookie name ${c.name}`);
  }
});
