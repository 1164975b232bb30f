// Callbacks that must fail: unknown, expired or repeated state, missing or
// repeated parameters, errors reported by the provider, and a replayed
// authorization code.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';

import { Client } from './lib/client.mjs';
import {
  ALICE, STATE_COOKIE_PREFIX,
  loginUntilCallback, sessionCookiesSet, sleep, stateCookiesDeleted,
} from './lib/flow.mjs';
import { ANY_MODULE_LINE, Stack } from './lib/stack.mjs';

const stack = new Stack(3);

// Rejected callbacks are logged by the module; these match its lines by
// what they are about, whatever their tag number.
const STATE_REJECTED = /\[pkce_auth:(?:warn|error)\] .*PKCE\d+: .*state/i;
const CALLBACK_REJECTED = /\[pkce_auth:(?:warn|error)\] .*PKCE\d+: .*(?:state|code)/i;
const PROVIDER_ERROR = /\[pkce_auth:(?:warn|error)\] .*PKCE\d+: .*(?:access_denied|login_required)/;
const TOKEN_ERROR = /\[pkce_auth:error\] .*PKCE\d+: .*token endpoint/i;

before(async () => {
  await stack.startProvider();
  await stack.startApache('main');
  await stack.startApache('short-state', { pkce: { PKCEAuthStateTimeout: 2 } });
});

after(async () => {
  await stack.stopAll();
});

/** Replaces the query of a callback URL by `query`, keeping its origin and path. */
function withQuery(callbackUrl, query) {
  const url = new URL(callbackUrl);
  return `${url.origin}${url.pathname}?${query}`;
}

function queryOf(callbackUrl) {
  return new URL(callbackUrl).searchParams;
}

stack.test('unknown state is rejected', async ({ expectLog }) => {
  expectLog(STATE_REJECTED);
  const client = new Client();
  const { callbackUrl } = await loginUntilCallback(client, `${stack.apache('main').url}/app/`);
  const code = queryOf(callbackUrl).get('code');
  const forged = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  const res = await client.get(withQuery(callbackUrl, `code=${code}&state=${forged}`));
  assert.equal(res.status, 400, res.body);
  assert.equal(sessionCookiesSet(res).length, 0);
});

stack.test('callback from another browser is rejected', async ({ expectLog }) => {
  // Login CSRF: the victim's browser gets the attacker's callback URL but
  // has no matching state cookie.
  expectLog(STATE_REJECTED);
  const attacker = new Client();
  const { callbackUrl } = await loginUntilCallback(attacker, `${stack.apache('main').url}/app/`);
  const victim = new Client();
  const res = await victim.get(callbackUrl);
  assert.equal(res.status, 400, res.body);
  assert.equal(sessionCookiesSet(res).length, 0);
});

stack.test('state cookie of another login is rejected', async ({ expectLog }) => {
  // The callback of login B arrives with login A's sealed cookie value under
  // B's cookie name, so the state inside the cookie does not match.
  expectLog(STATE_REJECTED);
  const apache = stack.apache('main');
  const a = new Client();
  const loginA = await loginUntilCallback(a, `${apache.url}/app/a`);
  const b = new Client();
  const loginB = await loginUntilCallback(b, `${apache.url}/app/b`);
  const valueA = a.jar.get('localhost', `${STATE_COOKIE_PREFIX}${loginA.state}`);
  const res = await new Client().get(loginB.callbackUrl, {
    headers: { cookie: `${STATE_COOKIE_PREFIX}${loginB.state}=${valueA}` },
  });
  assert.equal(res.status, 400, res.body);
  assert.equal(sessionCookiesSet(res).length, 0);
});

stack.test('callback with foreign iss is rejected', async ({ expectLog }) => {
  // RFC 9207: oidc-provider adds iss to the callback, and a different iss
  // means the response came from another provider (mix-up attack). The
  // contract names no status for this, so any 4xx without a session passes.
  expectLog(ANY_MODULE_LINE);
  const client = new Client();
  const { callbackUrl } = await loginUntilCallback(client, `${stack.apache('main').url}/app/`);
  const url = new URL(callbackUrl);
  assert.equal(url.searchParams.get('iss'), stack.issuer, 'the provider should send iss');
  url.searchParams.set('iss', 'http://127.0.0.1:1');
  const res = await client.get(url.href);
  assert.ok(res.status >= 400, `foreign iss accepted with ${res.status}`);
  assert.ok(res.status < 500, `foreign iss gave a server error ${res.status}`);
  assert.equal(sessionCookiesSet(res).length, 0);
});

stack.test('expired state is rejected', async ({ expectLog }) => {
  expectLog(STATE_REJECTED);
  const apache = stack.apache('short-state');
  const client = new Client();
  const { start, state, callbackUrl } = await loginUntilCallback(client, `${apache.url}/app/`);
  const cookieName = `${STATE_COOKIE_PREFIX}${state}`;
  const cookieValue = client.jar.get('localhost', cookieName);
  const maxAge = start.setCookies.find((h) => h.startsWith(`${cookieName}=`));
  assert.match(maxAge, /Max-Age=2\b/i);
  await sleep(3000);

  // A browser has dropped the cookie by now.
  const asBrowser = await client.get(callbackUrl);
  assert.equal(asBrowser.status, 400, asBrowser.body);

  // The module must also check the age sealed into the cookie, for a
  // client that keeps sending it.
  const kept = await client.get(callbackUrl, { cookies: false, headers: { cookie: `${cookieName}=${cookieValue}` } });
  assert.equal(kept.status, 400, kept.body);
  assert.equal(sessionCookiesSet(kept).length, 0);
});

const MALFORMED = [
  ['duplicated state', (code, state) => `code=${code}&state=${state}&state=${state}`],
  ['duplicated code', (code, state) => `code=${code}&code=${code}&state=${state}`],
  ['missing code', (code, state) => `state=${state}`],
  ['missing state', (code) => `code=${code}`],
  ['empty code', (code, state) => `code=&state=${state}`],
  ['empty state', (code) => `code=${code}&state=`],
];

for (const [name, makeQuery] of MALFORMED) {
  stack.test(`callback with ${name} is rejected`, async ({ expectLog }) => {
    expectLog(CALLBACK_REJECTED);
    const client = new Client();
    const { callbackUrl } = await loginUntilCallback(client, `${stack.apache('main').url}/app/`);
    const params = queryOf(callbackUrl);
    // The provider adds iss (RFC 9207) and advertises it in its metadata, so the
    // module requires it; keep it to test the parameter named here.
    const iss = params.has('iss') ? `&iss=${encodeURIComponent(params.get('iss'))}` : '';
    const res = await client.get(withQuery(callbackUrl, makeQuery(params.get('code'), params.get('state')) + iss));
    assert.equal(res.status, 400, res.body);
    assert.equal(sessionCookiesSet(res).length, 0);
  });
}

stack.test('provider error is escaped', async ({ expectLog }) => {
  expectLog(PROVIDER_ERROR);
  const client = new Client();
  const start = await client.get(`${stack.apache('main').url}/app/`);
  const state = new URL(start.location).searchParams.get('state');
  const query = new URLSearchParams({ error: 'access_denied', error_description: '<script>x</script>', state, iss: stack.issuer });
  const res = await client.get(`${stack.redirectUri(stack.apache('main').port)}?${query}`);
  assert.equal(res.status, 403, res.body);
  assert.match(res.body, /access_denied/);
  assert.ok(!res.body.includes('<script>'), `raw <script> in the error page: ${res.body}`);
  assert.equal(sessionCookiesSet(res).length, 0);
});

stack.test('consent cancelled at provider gives 403', async ({ expectLog }) => {
  expectLog(PROVIDER_ERROR);
  const client = new Client();
  const start = await client.get(`${stack.apache('main').url}/app/`);
  const { callbackUrl, pages } = await client.authorizeAtProvider(start.location, { ...ALICE, consent: false });
  assert.deepEqual(pages, ['login', 'consent-cancel']);
  assert.equal(queryOf(callbackUrl).get('error'), 'access_denied');
  const res = await client.get(callbackUrl);
  assert.equal(res.status, 403, res.body);
  assert.match(res.body, /access_denied/);
});

stack.test('other provider error gives 401', async ({ expectLog }) => {
  expectLog(PROVIDER_ERROR);
  const client = new Client();
  const start = await client.get(`${stack.apache('main').url}/app/`);
  const state = new URL(start.location).searchParams.get('state');
  const query = new URLSearchParams({ error: 'login_required', error_description: 'no session <b>here</b>', state, iss: stack.issuer });
  const res = await client.get(`${stack.redirectUri(stack.apache('main').port)}?${query}`);
  assert.equal(res.status, 401, res.body);
  assert.match(res.body, /login_required/);
  assert.ok(!res.body.includes('<b>here</b>'), `raw markup in the error page: ${res.body}`);
});

stack.test('provider error cannot forge log lines', async ({ expectLog }) => {
  // The error description comes from the browser's URL. A newline in it
  // must not start a new error log line, which the log check would see as
  // an unexpected [emerg] line.
  expectLog(PROVIDER_ERROR);
  const apache = stack.apache('main');
  const client = new Client();
  const start = await client.get(`${apache.url}/app/`);
  const state = new URL(start.location).searchParams.get('state');
  const forgedLine = '[Thu Jan 01 00:00:00.000000 2026] [core:emerg] [pid 1:tid 1] AH00000: forged line';
  const query = new URLSearchParams({ error: 'access_denied', error_description: `x\n${forgedLine}\r\nend`, state, iss: stack.issuer });
  const logBefore = apache.errorLogSize();
  const res = await client.get(`${stack.redirectUri(apache.port)}?${query}`);
  assert.equal(res.status, 403, res.body);
  await sleep(50);
  const lines = apache.errorLogSince(logBefore).split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one callback error became ${lines.length} log lines:\n${lines.join('\n')}`);
});

stack.test('replayed callback is rejected', async ({ expectLog }) => {
  expectLog(STATE_REJECTED);
  expectLog(TOKEN_ERROR);
  const client = new Client();
  const { state, callbackUrl } = await loginUntilCallback(client, `${stack.apache('main').url}/app/`);
  const cookieName = `${STATE_COOKIE_PREFIX}${state}`;
  const stateCookie = `${cookieName}=${client.jar.get('localhost', cookieName)}`;

  const first = await client.get(callbackUrl);
  assert.equal(first.status, 302, first.body);
  assert.deepEqual(stateCookiesDeleted(first).map((c) => c.name), [cookieName],
    `the callback must delete the used state cookie: ${first.setCookies.join(' | ')}`);

  // The same URL again, as a browser would send it: the state cookie is gone.
  const again = await client.get(callbackUrl);
  assert.equal(again.status, 400, again.body);
  assert.equal(sessionCookiesSet(again).length, 0);

  // The same URL with the old state cookie sent by hand: the state checks
  // pass, and the provider rejects the used code at the token endpoint.
  const replay = await new Client().get(callbackUrl, { headers: { cookie: stateCookie } });
  assert.equal(replay.status, 502, replay.body);
  assert.equal(sessionCookiesSet(replay).length, 0);
});
