// What an authenticated request may and may not carry: tampered session
// cookies, forged claim headers, the module's cookies towards the backend,
// and where the browser is sent back after login.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';

import { Client, parseEnvText } from './lib/client.mjs';
import {
  ALICE, SESSION_COOKIE, STATE_COOKIE_PREFIX,
  assertSameOriginPath, authorizationParams, cgiEnv, loggedInClient, sessionCookiesSet,
} from './lib/flow.mjs';
import { ANY_MODULE_LINE, PASSPHRASE, Stack } from './lib/stack.mjs';

const stack = new Stack(4);

before(async () => {
  await stack.startProvider();
  await stack.startEcho();
  await stack.startApache('main');
  await stack.startApache('other-key', {
    pkce: { PKCEAuthCryptoPassphrase: 'another-passphrase-for-a-different-server-0123' },
  });
  await stack.startApache('rotated-key', {
    pkce: { PKCEAuthCryptoPassphrase: ['a-new-passphrase-that-seals-from-now-on-012345', PASSPHRASE] },
  });
});

after(async () => {
  await stack.stopAll();
});

function flipCharacter(text, index) {
  const c = text[index];
  const replacement = c === 'A' ? 'B' : 'A';
  return `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
}

const TAMPERINGS = [
  ['a flipped middle character', (v) => flipCharacter(v, Math.floor(v.length / 2))],
  ['a flipped last character', (v) => flipCharacter(v, v.length - 1)],
  ['a flipped first character', (v) => flipCharacter(v, 0)],
  ['half its length', (v) => v.slice(0, Math.floor(v.length / 2))],
  ['one extra character', (v) => `${v}A`],
  ['an empty value', () => ''],
  ['garbage', () => 'not-a-sealed-session'],
  ['non-base64 bytes', () => '%00%ff%fe..'],
];

for (const [name, tamper] of TAMPERINGS) {
  stack.test(`session cookie with ${name} is ignored`, async ({ expectLog }) => {
    // The module may log the rejected cookie; it must not fail the request.
    expectLog(ANY_MODULE_LINE);
    const apache = stack.apache('main');
    const client = await loggedInClient(apache);
    const value = client.jar.get('localhost', SESSION_COOKIE);
    assert.ok(value, 'no session cookie after login');
    client.jar.set('localhost', SESSION_COOKIE, tamper(value));

    const res = await client.get(`${apache.url}/app/`);
    assert.equal(res.status, 302, `expected a new login, got ${res.status}: ${res.body.slice(0, 300)}`);
    assert.ok(res.location.startsWith(`${stack.issuer}/auth?`), res.location);
  });
}

stack.test('state cookie used as session is ignored', async ({ expectLog }) => {
  // Sealed values carry their purpose, so a state cookie's value does not
  // open as a session.
  expectLog(ANY_MODULE_LINE);
  const apache = stack.apache('main');
  const client = new Client();
  const start = await client.get(`${apache.url}/app/`);
  const state = authorizationParams(start).get('state');
  const stateValue = client.jar.get('localhost', `${STATE_COOKIE_PREFIX}${state}`);
  const res = await new Client().get(`${apache.url}/app/`, { headers: { cookie: `${SESSION_COOKIE}=${stateValue}` } });
  assert.equal(res.status, 302, res.body);
  assert.ok(res.location.startsWith(`${stack.issuer}/auth?`), res.location);
});

stack.test('session from another server is ignored', async ({ expectLog }) => {
  expectLog(ANY_MODULE_LINE);
  const client = await loggedInClient(stack.apache('main'));
  // Both servers are on localhost, so the jar sends main's cookie to the
  // server sealed with a different passphrase.
  const res = await client.get(`${stack.apache('other-key').url}/app/`);
  assert.equal(res.status, 302, res.body);
  assert.ok(res.location.startsWith(`${stack.issuer}/auth?`), res.location);
});

stack.test('old passphrase still opens sessions', async () => {
  // rotated-key lists main's passphrase second: it seals with the new one
  // and still opens sessions sealed with the old one.
  const client = await loggedInClient(stack.apache('main'));
  const env = await cgiEnv(client, stack.apache('rotated-key'));
  assert.equal(env.REMOTE_USER, 'alice-1001');
});

stack.test('forged claim headers are removed', async () => {
  const apache = stack.apache('main');
  const client = await loggedInClient(apache);
  const forged = {
    OIDC_CLAIM_email: 'evil@x',
    'OIDC-CLAIM-email': 'evil@x',
    oidc_claim_EMAIL: 'evil@x',
    'Oidc-Claim-Sub': 'evil-sub',
    OIDC_CLAIM_roles: 'evil-role',
  };
  const res = await client.get(`${apache.url}/app/echo/forged`, { headers: forged });
  assert.equal(res.status, 200, res.body);
  const echoed = JSON.parse(res.body);

  const pairs = [];
  for (let i = 0; i < echoed.rawHeaders.length; i += 2) {
    pairs.push([echoed.rawHeaders[i], echoed.rawHeaders[i + 1]]);
  }
  const claimHeaders = (claim) => pairs.filter(([n]) => n.toLowerCase().replaceAll('-', '_') === `oidc_claim_${claim}`);
  assert.deepEqual(claimHeaders('email').map(([, v]) => v), ['alice@example.com']);
  assert.deepEqual(claimHeaders('sub').map(([, v]) => v), ['alice-1001']);
  assert.deepEqual(claimHeaders('roles'), [], 'a claim the user does not have must not reach the backend');
  assert.ok(!pairs.some(([, v]) => v.includes('evil')), `forged value reached the backend: ${JSON.stringify(pairs)}`);
});

stack.test('forged claim headers never reach CGI', async () => {
  const apache = stack.apache('main');
  const client = await loggedInClient(apache);
  const res = await client.get(`${apache.url}/app/cgi-forged`, {
    headers: { 'OIDC-CLAIM-email': 'evil@x', 'OIDC-CLAIM-roles': 'evil-role', 'oidc-claim-name': 'evil' },
  });
  assert.equal(res.status, 200, res.body);
  const env = parseEnvText(res.body);
  assert.equal(env.OIDC_CLAIM_email, 'alice@example.com');
  assert.equal(env.OIDC_CLAIM_name, 'Alice Example');
  assert.equal(env.OIDC_CLAIM_roles, undefined);
  const leaked = Object.entries(env).filter(([, v]) => v.includes('evil'));
  assert.deepEqual(leaked, [], 'forged header values reached the CGI environment');
});

stack.test('forged claim headers removed on public paths', async () => {
  // The module removes claim headers on every request to a server where it
  // is configured, protected or not, and sets no user there.
  const apache = stack.apache('main');
  const res = await new Client().get(`${apache.url}/public-cgi/x`, { headers: { 'OIDC-CLAIM-email': 'anyone@x' } });
  assert.equal(res.status, 200);
  const env = parseEnvText(res.body);
  assert.equal(env.REMOTE_USER, undefined);
  assert.equal(env.HTTP_OIDC_CLAIM_EMAIL, undefined);
});

stack.test('module cookies are not forwarded', async () => {
  const apache = stack.apache('main');
  const client = await loggedInClient(apache);
  // A pending login leaves a state cookie beside the session cookie.
  await client.get(`${apache.url}/app/`, { cookies: false });
  assert.ok(client.jar.forHost('localhost').some((c) => c.name.startsWith(STATE_COOKIE_PREFIX)));
  client.jar.set('localhost', 'app_pref', 'dark');
  client.jar.set('localhost', 'other', '1');

  const res = await client.get(`${apache.url}/app/echo/cookies`);
  assert.equal(res.status, 200, res.body);
  const cookieHeader = JSON.parse(res.body).headers.cookie ?? '';
  const names = cookieHeader.split(';').map((c) => c.trim().split('=')[0]).filter(Boolean).sort();
  assert.deepEqual(names, ['app_pref', 'other']);
});

stack.test('only module cookies means no Cookie header', async () => {
  const apache = stack.apache('main');
  const client = await loggedInClient(apache);
  const res = await client.get(`${apache.url}/app/echo/no-cookies`);
  assert.equal(res.status, 200, res.body);
  const cookieHeader = JSON.parse(res.body).headers.cookie;
  assert.ok(cookieHeader === undefined || cookieHeader.trim() === '', `Cookie header left: ${cookieHeader}`);
});

// Request targets that try to turn the return path after login into a
// redirect to another host. Each is sent raw, as a client may send it.
const RETURN_TARGETS = [
  '/app//evil.example/',
  '/app/\\evil.example/',
  '/app/%5Cevil.example/',
  '/app/%2F%2Fevil.example/',
  '/app/..//evil.example/',
  '//app/',
  '///app/',
  '/\\app/',
  'http://evil.example/app/',
  'http://localhost@evil.example/app/',
];

for (const target of RETURN_TARGETS) {
  stack.test(`return path stays local for ${target}`, async ({ expectLog }) => {
    // Apache itself may refuse some of these targets; the module may log.
    expectLog(ANY_MODULE_LINE);
    expectLog(/\[core:(?:info|error)\] .*AH\d+: /);
    const apache = stack.apache('main');
    const client = new Client();
    const start = await client.get(`${apache.url}/`, { target });
    if (start.status !== 302) {
      // Apache refuses some targets itself (404, 400); that is fine.
      assert.ok(start.status >= 400, `unexpected ${start.status} for ${target}`);
      assert.ok(start.status < 500, `server error ${start.status} for ${target}`);
      return;
    }
    let authorization = start;
    const firstHop = new URL(start.location, apache.url);
    if (firstHop.origin !== new URL(stack.issuer).origin) {
      // The module may first move the browser to a canonical URL; that
      // hop must stay on this server too.
      assertSameOriginPath(start.location.startsWith('http') ? firstHop.pathname + firstHop.search : start.location, apache.url);
      authorization = await client.get(firstHop.href);
      assert.equal(authorization.status, 302, authorization.body);
    }
    authorizationParams(authorization);
    const { callbackUrl } = await client.authorizeAtProvider(authorization.location, ALICE);
    const callback = await client.get(callbackUrl);
    assert.equal(callback.status, 302, callback.body);
    assertSameOriginPath(callback.location, apache.url);
  });
}

stack.test('return path keeps the requested path', async () => {
  const apache = stack.apache('main');
  const client = new Client();
  const start = await client.get(`${apache.url}/app//evil.example/`, { target: '/app//evil.example/' });
  assert.equal(start.status, 302);
  const { callbackUrl } = await client.authorizeAtProvider(start.location, ALICE);
  const callback = await client.get(callbackUrl);
  assert.equal(callback.status, 302, callback.body);
  assert.ok(callback.location.startsWith('/app/'), callback.location);
  assert.equal(sessionCookiesSet(callback).length >= 1, true);
});
