// The token step against a scripted provider: the exact token request the
// module sends (PKCE verifier included), token endpoint failures (502), and
// ID tokens that must be rejected (401).

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';

import { Client, parseEnvText } from './lib/client.mjs';
import { FakeProvider, generateRsaKey, s256, signJwt } from './lib/fake-op.mjs';
import { authorizationParams, sessionCookiesSet } from './lib/flow.mjs';
import { ANY_MODULE_LINE, CLIENTS, PASSPHRASE, Stack } from './lib/stack.mjs';

const stack = new Stack(6);
const fake = new FakeProvider(stack.providerPort);
const otherKey = generateRsaKey();

before(async () => {
  await fake.start();
  await stack.startApache('fake', { pkce: { PKCEAuthIssuer: fake.issuer } });
  await stack.startApache('slow', { pkce: { PKCEAuthIssuer: fake.issuer, PKCEAuthHTTPTimeout: [2, 1] } });
});

after(async () => {
  await stack.stopAll();
  await fake.close();
});

/** Starts a login at `apache` and returns the client and the authorization parameters. */
async function startLogin(apache) {
  const client = new Client();
  const start = await client.get(`${apache.url}/app/`);
  const params = authorizationParams(start);
  assert.ok(start.location.startsWith(`${fake.issuer}/auth?`), start.location);
  return { client, params };
}

function callbackUrl(apache, params, code = 'fake-code-123') {
  return `${stack.redirectUri(apache.port)}?${new URLSearchParams({ code, state: params.get('state') })}`;
}

/** Asserts that an error page gives nothing away. */
function assertNoSecrets(body, params) {
  for (const secret of [PASSPHRASE, 'fake-code-123', params.get('nonce')]) {
    assert.ok(!body.includes(secret), `error page contains ${secret}`);
  }
  assert.doesNotMatch(body, /code_verifier|\.c:\d+|\bat [\w.]+ \(/);
}

stack.test('token request carries PKCE verifier', async () => {
  const apache = stack.apache('fake');
  const { client, params } = await startLogin(apache);
  let tokenRequest;
  fake.onToken = (form, headers) => {
    tokenRequest = { form, headers };
    return {
      body: {
        access_token: 'fake-access-token',
        token_type: 'Bearer',
        expires_in: 300,
        id_token: fake.sign(fake.claims(CLIENTS.public, params.get('nonce'))),
      },
    };
  };

  const res = await client.get(callbackUrl(apache, params));
  assert.equal(res.status, 302, res.body);
  assert.equal(res.location, '/app/');
  assert.ok(sessionCookiesSet(res).length >= 1);

  const { form, headers } = tokenRequest;
  assert.equal(form.grant_type, 'authorization_code');
  assert.equal(form.code, 'fake-code-123');
  assert.equal(form.redirect_uri, stack.redirectUri(apache.port));
  assert.equal(form.client_id, CLIENTS.public);
  assert.match(form.code_verifier, /^[A-Za-z0-9._~-]{43,128}$/);
  assert.equal(s256(form.code_verifier), params.get('code_challenge'));
  assert.equal(headers.authorization, undefined);
  assert.match(headers['content-type'], /^application\/x-www-form-urlencoded/);

  const page = await client.get(`${apache.url}/app/`);
  assert.equal(page.status, 200, page.body);
  assert.equal(parseEnvText(page.body).REMOTE_USER, 'fake-user-1');
});

// Each entry is [case, text the module's log line must contain, a function
// that makes the ID token from valid claims]. Every one must get 401.
const BAD_ID_TOKENS = [
  ['signature by another key', 'signature', (c) => signJwt(c, { privateKey: otherKey, header: { kid: fake.kid } })],
  ['unknown key id', 'unknown-kid', (c) => signJwt(c, { privateKey: otherKey, header: { kid: 'unknown-kid' } })],
  ['alg none', '"none"', (c) => signJwt(c, { alg: 'none', header: { kid: fake.kid } })],
  ['HS256 keyed with a guess', 'HS256', (c) => signJwt(c, { alg: 'HS256', hmacKey: 'secret' })],
  ['HS256 keyed with the public key', 'HS256', (c) => signJwt(c, {
    alg: 'HS256',
    hmacKey: crypto.createPublicKey(fake.privateKey).export({ type: 'spki', format: 'pem' }),
    header: { kid: fake.kid },
  })],
  ['wrong issuer', '"iss"', (c) => fake.sign({ ...c, iss: 'http://127.0.0.1:1' })],
  ['issuer with trailing slash', '"iss"', (c) => fake.sign({ ...c, iss: `${fake.issuer}/` })],
  ['wrong audience', '"aud"', (c) => fake.sign({ ...c, aud: 'someone-else' })],
  ['audience list without us', '"aud"', (c) => fake.sign({ ...c, aud: ['someone-else', 'another'] })],
  ['wrong nonce', '"nonce"', (c) => fake.sign({ ...c, nonce: 'not-the-nonce-that-was-sent' })],
  ['missing nonce', '"nonce"', (c) => fake.sign({ ...c, nonce: undefined })],
  ['expired', '"exp"', (c) => fake.sign({ ...c, iat: c.iat - 7200, exp: c.iat - 3600 })],
  ['issued in the future', '"iat"', (c) => fake.sign({ ...c, iat: c.iat + 3600, exp: c.exp + 3600 })],
  ['not valid yet', '"nbf"', (c) => fake.sign({ ...c, nbf: c.iat + 3600 })],
  ['missing sub', '"sub"', (c) => fake.sign({ ...c, sub: undefined })],
  ['empty sub', '"sub"', (c) => fake.sign({ ...c, sub: '' })],
  ['missing exp', '"exp"', (c) => fake.sign({ ...c, exp: undefined })],
  ['payload changed after signing', 'signature', (c) => {
    const [head, , signature] = fake.sign(c).split('.');
    const body = Buffer.from(JSON.stringify({ ...c, sub: 'admin' })).toString('base64url');
    return `${head}.${body}.${signature}`;
  }],
  ['unknown critical header', 'crit', (c) => fake.sign(c, { header: { crit: ['x-unknown'], 'x-unknown': 1 } })],
  ['two parts only', '', (c) => fake.sign(c).split('.').slice(0, 2).join('.')],
  ['not a JWT', '', () => 'not-a-jwt'],
];

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

for (const [name, reason, makeToken] of BAD_ID_TOKENS) {
  stack.test(`ID token rejected: ${name}`, async ({ expectLog }) => {
    expectLog(new RegExp(`\\[pkce_auth:error\\] .*PKCE\\d+: .*ID token.*${escapeRegExp(reason)}`));
    const apache = stack.apache('fake');
    const { client, params } = await startLogin(apache);
    const claims = fake.claims(CLIENTS.public, params.get('nonce'));
    fake.onToken = () => ({ body: { access_token: 'fake-access-token', token_type: 'Bearer', id_token: makeToken(claims) } });

    const res = await client.get(callbackUrl(apache, params));
    assert.equal(res.status, 401, res.body);
    assert.equal(sessionCookiesSet(res).length, 0);
    assertNoSecrets(res.body, params);
  });
}

stack.test('token response without ID token fails', async ({ expectLog }) => {
  // The contract names no status for this; 401 (no valid ID token) and
  // 502 (a malformed token response) are both accepted.
  expectLog(ANY_MODULE_LINE);
  const apache = stack.apache('fake');
  const { client, params } = await startLogin(apache);
  fake.onToken = () => ({ body: { access_token: 'fake-access-token', token_type: 'Bearer' } });
  const res = await client.get(callbackUrl(apache, params));
  assert.ok([401, 502].includes(res.status), `expected 401 or 502, got ${res.status}`);
  assert.equal(sessionCookiesSet(res).length, 0);
});

const BAD_TOKEN_RESPONSES = [
  ['HTTP 500', () => ({ status: 500, body: { error: 'server_error' } })],
  ['HTTP 400 invalid_grant', () => ({ status: 400, body: { error: 'invalid_grant', error_description: 'bad code' } })],
  ['HTTP 401 with empty body', () => ({ status: 401, contentType: 'text/plain', body: '' })],
  ['HTML page', () => ({ status: 200, contentType: 'text/html', body: '<html><body>maintenance</body></html>' })],
  ['truncated JSON', () => ({ status: 200, body: '{"access_token": "x", "id_token": "' })],
  ['JSON array', () => ({ status: 200, body: '[]' })],
  ['closing the connection', () => ({ destroy: true })],
];

for (const [name, reply] of BAD_TOKEN_RESPONSES) {
  stack.test(`token endpoint ${name}: 502`, async ({ expectLog }) => {
    expectLog(ANY_MODULE_LINE);
    const apache = stack.apache('fake');
    const { client, params } = await startLogin(apache);
    fake.onToken = reply;
    const res = await client.get(callbackUrl(apache, params));
    assert.equal(res.status, 502, res.body);
    assert.equal(sessionCookiesSet(res).length, 0);
    assertNoSecrets(res.body, params);
  });
}

stack.test('token endpoint timeout gives 502', async ({ expectLog }) => {
  expectLog(ANY_MODULE_LINE);
  const apache = stack.apache('slow');
  const { client, params } = await startLogin(apache);
  fake.onToken = () => ({ hang: true });
  const started = Date.now();
  const res = await client.get(callbackUrl(apache, params));
  const elapsed = Date.now() - started;
  assert.equal(res.status, 502, res.body);
  // PKCEAuthHTTPTimeout 2 1: the whole request may take 2 s; allow slack.
  assert.ok(elapsed < 6000, `callback took ${elapsed} ms with a 2 s HTTP timeout`);
  assert.ok(elapsed >= 1500, `callback returned after ${elapsed} ms, before the timeout`);
});
