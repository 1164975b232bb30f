// Checks the test harness without mod_pkce_auth: Apache starts from its own
// directory, the CGI and the echo backend respond, the provider serves
// discovery, checks passwords and enforces PKCE. A failure here is a
// harness problem, not a module bug.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';

import { Client, CookieJar, parseEnvText, rawRequest } from './lib/client.mjs';
import { s256 } from './lib/fake-op.mjs';
import { ALICE } from './lib/flow.mjs';
import { CLIENTS, Stack } from './lib/stack.mjs';
import { unexpectedLogLines } from './lib/apache.mjs';

const stack = new Stack(0);

// The code_verifier and S256 code_challenge of RFC 7636 appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mJ92K9qgVW8F6Pbs7lC6Q0a3dYLzFk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** Builds an authorization request URL for `clientId`. `extra` adds or replaces query parameters. */
function authorizationUrl(clientId, extra = {}) {
  const url = new URL(`${stack.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: stack.redirectUri(stack.apachePorts[0]),
    state: 'harness-state-0123456789abcdef',
    nonce: 'harness-nonce-0123456789abcdef',
    ...extra,
  }).toString();
  return url.href;
}

before(async () => {
  await stack.startProvider();
  await stack.startEcho();
  await stack.startApache('plain', { withoutModule: true });
});

after(async () => {
  await stack.stopAll();
});

stack.test('harness CGI prints the environment', async () => {
  const res = await rawRequest(`${stack.apache('plain').url}/app/some/path?x=1`, { headers: { 'x-probe': 'yes' } });
  assert.equal(res.status, 200, res.body);
  const env = parseEnvText(res.body);
  assert.equal(env.HTTP_X_PROBE, 'yes');
  assert.equal(env.REQUEST_URI, '/app/some/path?x=1');
});

stack.test('harness echo backend returns headers', async () => {
  const res = await rawRequest(`${stack.apache('plain').url}/app/echo/x`, { headers: { 'x-probe': 'yes' } });
  assert.equal(res.status, 200, res.body);
  const echoed = JSON.parse(res.body);
  assert.equal(echoed.headers['x-probe'], 'yes');
  assert.equal(echoed.url, '/echo/x');
});

stack.test('harness provider serves discovery', async () => {
  const res = await rawRequest(`${stack.issuer}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  const discovery = JSON.parse(res.body);
  assert.equal(discovery.issuer, stack.issuer);
  assert.ok(discovery.code_challenge_methods_supported.includes('S256'));
  assert.ok(discovery.id_token_signing_alg_values_supported.includes('RS256'));
});

stack.test('harness provider rejects a wrong password', async () => {
  const client = new Client();
  const authUrl = authorizationUrl(CLIENTS.public, { code_challenge: CHALLENGE, code_challenge_method: 'S256' });
  await assert.rejects(
    client.authorizeAtProvider(authUrl, { user: 'alice', password: 'wrong' }),
    /rejected the login of alice/,
  );
  const ok = await client.authorizeAtProvider(authUrl, { user: 'alice', password: 'alice-password' });
  const callback = new URL(ok.callbackUrl);
  assert.equal(callback.origin, `http://localhost:${stack.apachePorts[0]}`);
  assert.ok(callback.searchParams.get('code'));
  assert.equal(callback.searchParams.get('state'), 'harness-state-0123456789abcdef');
});

// The module's PKCE is tested against this provider, so the provider must
// require an S256 code_challenge from every client, whatever the defaults
// of the oidc-provider version are.
stack.test('harness provider requires S256 PKCE', async () => {
  const discovery = JSON.parse((await rawRequest(`${stack.issuer}/.well-known/openid-configuration`)).body);
  assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);

  const cases = [
    ['no code_challenge', {}],
    ['method plain', { code_challenge: VERIFIER, code_challenge_method: 'plain' }],
    ['no code_challenge_method', { code_challenge: CHALLENGE }],
  ];
  for (const clientId of Object.values(CLIENTS)) {
    for (const [name, params] of cases) {
      const res = await new Client().get(authorizationUrl(clientId, params));
      assert.ok(res.location, `${clientId} with ${name}: expected an error redirect, got ${res.status}: ${res.body.slice(0, 300)}`);
      const callback = new URL(res.location);
      assert.equal(callback.origin, `http://localhost:${stack.apachePorts[0]}`, `${clientId} with ${name}: ${res.location}`);
      assert.equal(callback.searchParams.get('error'), 'invalid_request', `${clientId} with ${name}: ${res.location}`);
      assert.equal(callback.searchParams.get('code'), null, `${clientId} with ${name}: ${res.location}`);
    }
  }
});

stack.test('harness provider checks the code_verifier', async () => {
  const discovery = JSON.parse((await rawRequest(`${stack.issuer}/.well-known/openid-configuration`)).body);
  const cases = [
    ['missing', undefined, 400],
    ['wrong', `${VERIFIER.slice(0, -1)}A`, 400],
    ['right', VERIFIER, 200],
  ];
  for (const [name, verifier, expectedStatus] of cases) {
    const client = new Client();
    const authUrl = authorizationUrl(CLIENTS.public, { code_challenge: s256(VERIFIER), code_challenge_method: 'S256' });
    const { callbackUrl } = await client.authorizeAtProvider(authUrl, ALICE);
    const form = {
      grant_type: 'authorization_code',
      code: new URL(callbackUrl).searchParams.get('code'),
      redirect_uri: stack.redirectUri(stack.apachePorts[0]),
      client_id: CLIENTS.public,
      ...(verifier === undefined ? {} : { code_verifier: verifier }),
    };
    const res = await rawRequest(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    assert.equal(res.status, expectedStatus, `${name} code_verifier: ${res.body}`);
    const body = JSON.parse(res.body);
    if (expectedStatus === 200) {
      assert.ok(body.id_token, `no id_token for the right code_verifier: ${res.body}`);
    } else {
      assert.equal(body.error, 'invalid_grant', `${name} code_verifier: ${res.body}`);
    }
  }
});

stack.test('harness cookie jar applies RFC 6265 rules', async () => {
  const jar = new CookieJar();
  jar.store('http://localhost:1/a/b', ['x=1; Path=/', 'y=2', 'z=3; Max-Age=60; Path=/other']);
  assert.equal(jar.header('http://localhost:2/a/c'), 'y=2; x=1');
  assert.equal(jar.header('http://127.0.0.1:1/a/b'), '');
  assert.equal(jar.header('http://localhost:1/other/x'), 'z=3; x=1');
  jar.store('http://localhost:1/', ['x=gone; Path=/; Max-Age=0', 'z=gone; Path=/other; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
  assert.equal(jar.header('http://localhost:1/other/x'), '');
});

stack.test('harness log check flags warnings', async () => {
  const text = [
    '[Thu Dec 04 21:00:00.000000 2026] [pkce_auth:warn] [pid 1:tid 2] [client 127.0.0.1:1] PKCE0001: state cookie expired',
    '[Thu Dec 04 21:00:00.000000 2026] [pkce_auth:info] [pid 1:tid 2] no tag here',
    '[Thu Dec 04 21:00:00.000000 2026] [proxy:error] [pid 1:tid 2] AH00940: backend down',
    '[Thu Dec 04 21:00:00.000000 2026] [mpm_event:notice] [pid 1:tid 2] AH00489: resuming normal operations',
  ].join('\n');
  const problems = unexpectedLogLines(text, [/PKCE0001:/]);
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems[0], /without a PKCEnnn tag/);
  assert.match(problems[1], /AH00940/);
});
