// A full login followed hop by hop: the redirect to the provider, the
// provider's pages, the callback and the protected CGI, then requests that
// the session cookie alone authenticates.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';

import { Client, parseEnvText, rawRequest } from './lib/client.mjs';
import {
  ALICE, BOB, CAROL, SESSION_COOKIE, STATE_COOKIE_PREFIX,
  authorizationParams, cgiEnv, loggedInClient, sessionCookiesSet, setCookies,
  stateCookiesDeleted, stateCookiesSet,
} from './lib/flow.mjs';
import { CLIENTS, Stack } from './lib/stack.mjs';

const stack = new Stack(1);

before(async () => {
  await stack.startProvider();
  await stack.startEcho();
  await stack.startApache('sub');
  await stack.startApache('email', { pkce: { PKCEAuthRemoteUserClaim: 'email' } });
});

after(async () => {
  await stack.stopAll();
});

// RFC 7636 section 4.1 and 4.2: a base64url SHA-256 challenge has 43 characters.
const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;

stack.test('login redirect carries PKCE parameters', async () => {
  const apache = stack.apache('sub');
  const res = await new Client().get(`${apache.url}/app/`);
  assert.equal(res.status, 302);

  const location = new URL(res.location);
  assert.equal(`${location.origin}${location.pathname}`, `${stack.issuer}/auth`);
  const params = authorizationParams(res);
  assert.equal(params.get('response_type'), 'code');
  assert.equal(params.get('client_id'), CLIENTS.public);
  assert.equal(params.get('redirect_uri'), stack.redirectUri(apache.port));
  assert.deepEqual(params.get('scope').split(' ').sort(), ['email', 'openid', 'profile']);
  assert.ok(params.get('state')?.length >= 22, `state ${params.get('state')} is shorter than 22 characters`);
  assert.ok(params.get('nonce')?.length >= 22, `nonce ${params.get('nonce')} is shorter than 22 characters`);
  assert.notEqual(params.get('state'), params.get('nonce'));
  assert.match(params.get('code_challenge') ?? '', BASE64URL_43);
  assert.equal(params.get('code_challenge_method'), 'S256');
  for (const name of ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method']) {
    assert.equal(params.getAll(name).length, 1, `parameter ${name} appears more than once`);
  }
});

stack.test('state cookie has the documented attributes', async () => {
  const apache = stack.apache('sub');
  const res = await new Client().get(`${apache.url}/app/`);
  const state = authorizationParams(res).get('state');
  const cookies = stateCookiesSet(res);
  assert.equal(cookies.length, 1, `expected one state cookie, got ${res.setCookies.join(' | ')}`);

  const [cookie] = cookies;
  assert.equal(cookie.name, `${STATE_COOKIE_PREFIX}${state}`);
  assert.equal(cookie.attributes.get('max-age'), '300');
  assert.equal(cookie.attributes.get('path'), '/');
  assert.ok(cookie.attributes.has('httponly'), 'state cookie lacks HttpOnly');
  assert.equal(cookie.attributes.get('samesite')?.toLowerCase(), 'lax');
  assert.ok(!cookie.attributes.has('domain'), 'state cookie should be host-only');
});

stack.test('two redirects get different state and PKCE values', async () => {
  const apache = stack.apache('sub');
  const first = authorizationParams(await new Client().get(`${apache.url}/app/`));
  const second = authorizationParams(await new Client().get(`${apache.url}/app/`));
  assert.notEqual(first.get('state'), second.get('state'));
  assert.notEqual(first.get('nonce'), second.get('nonce'));
  assert.notEqual(first.get('code_challenge'), second.get('code_challenge'));
});

stack.test('full login reaches the CGI', async () => {
  const apache = stack.apache('sub');
  const client = new Client();
  const tokenRequestsBefore = stack.provider.requests.filter((r) => r.path.startsWith('/token')).length;

  const start = await client.get(`${apache.url}/app/page?x=1&y=two`);
  const state = authorizationParams(start).get('state');
  const { callbackUrl, pages } = await client.authorizeAtProvider(start.location, ALICE);
  assert.deepEqual(pages, ['login', 'consent']);
  const callback = new URL(callbackUrl);
  assert.equal(`${callback.origin}${callback.pathname}`, stack.redirectUri(apache.port));
  assert.equal(callback.searchParams.get('state'), state);

  const callbackRes = await client.get(callbackUrl);
  assert.equal(callbackRes.status, 302, callbackRes.body);
  assert.equal(callbackRes.location, '/app/page?x=1&y=two');
  assert.ok(sessionCookiesSet(callbackRes).length >= 1, `no session cookie in ${callbackRes.setCookies.join(' | ')}`);
  const deleted = stateCookiesDeleted(callbackRes).map((c) => c.name);
  assert.deepEqual(deleted, [`${STATE_COOKIE_PREFIX}${state}`]);

  const tokenRequests = stack.provider.requests.filter((r) => r.path.startsWith('/token'));
  assert.equal(tokenRequests.length, tokenRequestsBefore + 1, 'expected exactly one token request');
  assert.equal(tokenRequests.at(-1).authorization, undefined, 'a public client must not send an Authorization header');

  const final = await client.get(`${apache.url}${callbackRes.location}`);
  assert.equal(final.status, 200, final.body);
  const env = parseEnvText(final.body);
  assert.equal(env.REMOTE_USER, 'alice-1001');
  assert.equal(env.AUTH_TYPE?.toLowerCase(), 'pkce');
  assert.equal(env.REQUEST_URI, '/app/page?x=1&y=two');
  assert.equal(env.OIDC_CLAIM_sub, 'alice-1001');
  assert.equal(env.OIDC_CLAIM_email, 'alice@example.com');
  assert.equal(env.OIDC_CLAIM_email_verified, 'true');
  assert.equal(env.OIDC_CLAIM_name, 'Alice Example');
  assert.equal(env.OIDC_CLAIM_given_name, 'Alice');
  assert.equal(env.OIDC_CLAIM_family_name, 'Example');
  assert.equal(env.OIDC_CLAIM_https___example_com_roles, 'admin,dev');
});

stack.test('session cookie alone authenticates', async () => {
  const apache = stack.apache('sub');
  const client = await loggedInClient(apache);
  const before = stack.providerRequestCount();

  const res = await client.get(`${apache.url}/app/again`);
  assert.equal(res.status, 200, res.body);
  assert.equal(parseEnvText(res.body).REMOTE_USER, 'alice-1001');
  assert.equal(stateCookiesSet(res).length, 0, 'an authenticated request must not start a login');
  assert.equal(stack.providerRequestCount(), before, 'the provider received requests during an authenticated request');

  const echo = await client.get(`${apache.url}/app/echo/again`);
  assert.equal(echo.status, 200, echo.body);
  assert.equal(stack.providerRequestCount(), before);
});

stack.test('request without cookies is redirected', async () => {
  const apache = stack.apache('sub');
  const client = await loggedInClient(apache);
  const res = await client.get(`${apache.url}/app/`, { cookies: false });
  assert.equal(res.status, 302);
  assert.ok(res.location.startsWith(`${stack.issuer}/auth?`), res.location);
});

stack.test('remote user from email claim', async () => {
  const apache = stack.apache('email');
  const client = await loggedInClient(apache);
  const env = await cgiEnv(client, apache);
  assert.equal(env.REMOTE_USER, 'alice@example.com');
  assert.equal(env.OIDC_CLAIM_sub, 'alice-1001');
});

stack.test('second user gets own claims', async () => {
  const apache = stack.apache('sub');
  const client = await loggedInClient(apache, BOB);
  const env = await cgiEnv(client, apache);
  assert.equal(env.REMOTE_USER, 'bob-1002');
  assert.equal(env.OIDC_CLAIM_email, 'bob@example.com');
  assert.equal(env.OIDC_CLAIM_email_verified, 'false');
  assert.equal(env.OIDC_CLAIM_https___example_com_roles, 'dev');
});

stack.test('claims reach a proxied backend as headers', async () => {
  const apache = stack.apache('sub');
  const client = await loggedInClient(apache);
  const res = await client.get(`${apache.url}/app/echo/claims`);
  assert.equal(res.status, 200, res.body);
  const { headers } = JSON.parse(res.body);
  assert.equal(headers.oidc_claim_email, 'alice@example.com');
  assert.equal(headers.oidc_claim_sub, 'alice-1001');
  assert.equal(headers['oidc_claim_https___example_com_roles'], 'admin,dev');
});

stack.test('large session splits into chunks', async () => {
  const apache = stack.apache('sub');
  const client = new Client();
  const result = await client.login(`${apache.url}/app/big`, CAROL);
  const cookies = sessionCookiesSet(result.callback);
  const chunks = cookies.filter((c) => c.name !== SESSION_COOKIE);
  const names = chunks.map((c) => c.name).sort();
  assert.ok(names.length >= 2, `expected session chunks, got ${names.join(', ')}`);
  assert.deepEqual(names, names.map((_, i) => `${SESSION_COOKIE}_${i + 1}`).sort());
  // A main cookie may accompany the chunks (to mark the chunk count), but
  // the sealed session itself must travel in the chunks.
  const main = cookies.find((c) => c.name === SESSION_COOKIE);
  if (main) {
    assert.ok(main.value.length < 64, `main session cookie of ${main.value.length} bytes next to chunks`);
  }
  for (const header of result.callback.setCookies) {
    assert.ok(header.length <= 4096, `Set-Cookie of ${header.length} bytes exceeds the 4096 bytes browsers keep`);
  }

  assert.equal(result.final.status, 200, result.final.body);
  const env = parseEnvText(result.final.body);
  assert.equal(env.REMOTE_USER, 'carol-1003');
  const groups = env.OIDC_CLAIM_https___example_com_groups.split(',');
  assert.equal(groups.length, 150);
  assert.equal(groups[0], 'group-000-with-a-long-name');

  const again = await cgiEnv(client, apache, '/app/big-again');
  assert.equal(again.REMOTE_USER, 'carol-1003');
});

stack.test('smaller session drops stale chunks', async () => {
  // A login as carol leaves chunks. A later login as alice in the same jar
  // must not leave them behind, or they could be joined with alice's cookie.
  const apache = stack.apache('sub');
  const client = new Client();
  await client.login(`${apache.url}/app/`, CAROL);
  client.jar.clearHost('127.0.0.1');
  const result = await client.login(`${apache.url}/app/relogin`, ALICE, { cookies: false });
  assert.equal(result.final.status, 200, result.final.body);
  const env = await cgiEnv(client, apache, '/app/after-relogin');
  assert.equal(env.REMOTE_USER, 'alice-1001');
});

stack.test('public paths need no login', async () => {
  const apache = stack.apache('sub');
  const page = await rawRequest(`${apache.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.body, /public page/);
  const cgi = await rawRequest(`${apache.url}/public-cgi/x`);
  assert.equal(cgi.status, 200);
  const env = parseEnvText(cgi.body);
  assert.equal(env.REMOTE_USER, undefined);
  assert.equal(setCookies(cgi).length, 0);
});
